using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay.Tests.Controller;

/// <summary>
/// Three identities × three services × Dial/Bind under AnyOf, AllOf, @name and #all.
/// alice #clients #east, bob #clients, carol #ops; chat #apps #public, docs #apps, admin #internal.
/// </summary>
public sealed class PolicyMatrixTests : IAsyncLifetime
{
    private OverlayFixture _overlay = null!;

    public static TheoryData<string, string, ServicePolicyTypeName, bool> Matrix => new()
    {
        // Dial: #clients AnyOf → #public or @docs; #ops AllOf → #all.
        { "alice", "chat", ServicePolicyTypeName.Dial, true },
        { "alice", "docs", ServicePolicyTypeName.Dial, true },
        { "alice", "admin", ServicePolicyTypeName.Dial, false },
        { "bob", "chat", ServicePolicyTypeName.Dial, true },
        { "bob", "docs", ServicePolicyTypeName.Dial, true },
        { "bob", "admin", ServicePolicyTypeName.Dial, false },
        { "carol", "chat", ServicePolicyTypeName.Dial, true },
        { "carol", "docs", ServicePolicyTypeName.Dial, true },
        { "carol", "admin", ServicePolicyTypeName.Dial, true },
        // Bind: AllOf (#clients, #east) → AllOf (#apps, #public); AnyOf @carol → @admin.
        { "alice", "chat", ServicePolicyTypeName.Bind, true },
        { "alice", "docs", ServicePolicyTypeName.Bind, false },
        { "alice", "admin", ServicePolicyTypeName.Bind, false },
        { "bob", "chat", ServicePolicyTypeName.Bind, false },
        { "bob", "docs", ServicePolicyTypeName.Bind, false },
        { "bob", "admin", ServicePolicyTypeName.Bind, false },
        { "carol", "chat", ServicePolicyTypeName.Bind, false },
        { "carol", "docs", ServicePolicyTypeName.Bind, false },
        { "carol", "admin", ServicePolicyTypeName.Bind, true },
    };

    public Task InitializeAsync()
    {
        _overlay = OverlayFixture.Start(serve: false);
        var c = _overlay.Controller;
        c.CreateIdentity("alice", ["clients", "#east"]);
        c.CreateIdentity("bob", ["clients"]);
        c.CreateIdentity("carol", ["ops"]);
        c.CreateIdentity("mallory", ["clients", "east", "ops"]);
        c.CreateService("chat", ["apps", "public"]);
        c.CreateService("docs", ["apps"]);
        c.CreateService("admin", ["internal"]);
        c.CreateServicePolicy("dial-clients", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#public", "@docs"]);
        c.CreateServicePolicy("dial-ops", ServicePolicyType.Dial, PolicySemantic.AllOf, ["#ops"], ["#all"]);
        c.CreateServicePolicy("bind-east", ServicePolicyType.Bind, PolicySemantic.AllOf, ["#clients", "#east"], ["#apps", "#public"]);
        c.CreateServicePolicy("bind-carol", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["@carol"], ["@admin"]);
        c.RevokeIdentity("mallory");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _overlay.DisposeAsync();

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Authorize_PolicyMatrixCell_MatchesExpectation(string identity, string service, ServicePolicyTypeName action, bool expected)
    {
        var type = action == ServicePolicyTypeName.Dial ? ServicePolicyType.Dial : ServicePolicyType.Bind;

        Assert.Equal(expected, _overlay.Controller.Authorize(identity, service, type));
        Assert.Equal(expected, type == ServicePolicyType.Dial ? _overlay.Controller.CanDial(identity, service) : _overlay.Controller.CanBind(identity, service));
    }

    [Theory]
    [InlineData("alice", "chat,docs", "chat")]
    [InlineData("bob", "chat,docs", "")]
    [InlineData("carol", "admin,chat,docs", "admin")]
    public void DialableAndBindableServices_PerIdentity_ListExactlyTheAllowedOnes(string identity, string dial, string bind)
    {
        Assert.Equal(dial, string.Join(',', _overlay.Controller.DialableServices(identity).Select(s => s.Name)));
        Assert.Equal(bind, string.Join(',', _overlay.Controller.BindableServices(identity).Select(s => s.Name)));
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("docs")]
    [InlineData("admin")]
    public void Authorize_RevokedIdentityMatchingEveryPolicy_IsRefusedEverything(string service)
    {
        Assert.False(_overlay.Controller.CanDial("mallory", service));
        Assert.False(_overlay.Controller.CanBind("mallory", service));
    }

    [Fact]
    public void Authorize_UnknownIdentityOrService_IsFalse()
    {
        Assert.False(_overlay.Controller.CanDial("nobody", "chat"));
        Assert.False(_overlay.Controller.CanDial("alice", "nothing"));
    }

    [Fact]
    public void CanUseRouter_NoRouterPolicies_AllowsEveryUnrevokedIdentity()
    {
        Assert.True(_overlay.Controller.CanUseRouter("bob", "edge-1", []));
        Assert.False(_overlay.Controller.CanUseRouter("mallory", "edge-1", []));
    }

    [Fact]
    public void CreateServicePolicy_BadRoleExpression_ThrowsNamingTheOption()
    {
        var ex = Assert.Throws<ArgumentException>(() => _overlay.Controller.CreateServicePolicy("bad", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["clients"], ["#all"]));
        Assert.Contains("--identity-roles", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateService_DuplicateName_ThrowsInvalidOperation()
    {
        Assert.Throws<InvalidOperationException>(() => _overlay.Controller.CreateService("chat", []));
    }
}
