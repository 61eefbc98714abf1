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
        c.Administration.CreateIdentity("alice", ["clients", "#east"]);
        c.Administration.CreateIdentity("bob", ["clients"]);
        c.Administration.CreateIdentity("carol", ["ops"]);
        c.Administration.CreateIdentity("mallory", ["clients", "east", "ops"]);
        c.Administration.CreateService("chat", ["apps", "public"]);
        c.Administration.CreateService("docs", ["apps"]);
        c.Administration.CreateService("admin", ["internal"]);
        c.Administration.CreateServicePolicy("dial-clients", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#public", "@docs"]);
        c.Administration.CreateServicePolicy("dial-ops", ServicePolicyType.Dial, PolicySemantic.AllOf, ["#ops"], ["#all"]);
        c.Administration.CreateServicePolicy("bind-east", ServicePolicyType.Bind, PolicySemantic.AllOf, ["#clients", "#east"], ["#apps", "#public"]);
        c.Administration.CreateServicePolicy("bind-carol", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["@carol"], ["@admin"]);
        c.Administration.RevokeIdentity("mallory");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _overlay.DisposeAsync();

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Authorize_PolicyMatrixCell_MatchesExpectation(string identity, string service, ServicePolicyTypeName action, bool expected)
    {
        var type = action == ServicePolicyTypeName.Dial ? ServicePolicyType.Dial : ServicePolicyType.Bind;

        Assert.Equal(expected, _overlay.Controller.Authorizer.Authorize(identity, service, type));
    }

    [Theory]
    [InlineData("alice", "chat,docs", "chat")]
    [InlineData("bob", "chat,docs", "")]
    [InlineData("carol", "admin,chat,docs", "admin")]
    public void DialableAndBindableServices_PerIdentity_ListExactlyTheAllowedOnes(string identity, string dial, string bind)
    {
        var record = _overlay.Controller.Store.FindIdentity(identity)!;
        Assert.Equal(dial, string.Join(',', _overlay.Controller.Authorizer.DialableServices(record).Select(s => s.Name)));
        Assert.Equal(bind, string.Join(',', _overlay.Controller.Authorizer.BindableServices(record).Select(s => s.Name)));
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("docs")]
    [InlineData("admin")]
    public void Authorize_RevokedIdentityMatchingEveryPolicy_IsRefusedEverything(string service)
    {
        Assert.False(_overlay.Controller.Authorizer.Authorize("mallory", service, ServicePolicyType.Dial));
        Assert.False(_overlay.Controller.Authorizer.Authorize("mallory", service, ServicePolicyType.Bind));
    }

    [Fact]
    public void Authorize_UnknownIdentityOrService_IsFalse()
    {
        Assert.False(_overlay.Controller.Authorizer.Authorize("nobody", "chat", ServicePolicyType.Dial));
        Assert.False(_overlay.Controller.Authorizer.Authorize("alice", "nothing", ServicePolicyType.Dial));
    }

    [Fact]
    public void CanUseRouter_NoRouterPolicies_AllowsEveryUnrevokedIdentity()
    {
        _overlay.Controller.Administration.CreateRouter("edge-1", ["edge"]);

        Assert.True(_overlay.Controller.Authorizer.CanUseRouter("bob", "edge-1"));
        Assert.False(_overlay.Controller.Authorizer.CanUseRouter("mallory", "edge-1"));
    }

    [Fact]
    public void CanUseRouter_RouterPolicies_AdmitExactlyTheirIdentitiesToTheirRouters()
    {
        var admin = _overlay.Controller.Administration;
        admin.CreateRouter("edge-1", ["edge"]);
        admin.CreateRouter("core-1", ["core"]);
        admin.CreateRouterPolicy("clients-edge", PolicySemantic.AnyOf, ["#clients"], ["#edge"]);
        admin.CreateRouterPolicy("carol-everywhere", PolicySemantic.AnyOf, ["@carol"], ["#all"]);

        var authorizer = _overlay.Controller.Authorizer;
        Assert.True(authorizer.CanUseRouter("bob", "edge-1"));
        Assert.False(authorizer.CanUseRouter("bob", "core-1"));
        Assert.True(authorizer.CanUseRouter("carol", "core-1"));
        Assert.False(authorizer.CanUseRouter("mallory", "edge-1"));

        admin.DeletePolicy("clients-edge");
        Assert.False(authorizer.CanUseRouter("bob", "edge-1"));
    }

    [Fact]
    public void CreateServicePolicy_BadRoleExpression_ThrowsNamingTheParameterAndValue()
    {
        var ex = Assert.Throws<OverlayAdministrationException>(() => _overlay.Controller.Administration.CreateServicePolicy("bad", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["clients"], ["#all"]));

        Assert.Equal(OverlayAdministrationProblem.InvalidValue, ex.Problem);
        Assert.Equal("identityRoles", ex.Parameter);
        Assert.Equal("clients", ex.Value);
        Assert.DoesNotContain("--", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateService_DuplicateName_ThrowsAlreadyExists()
    {
        var ex = Assert.Throws<OverlayAdministrationException>(() => _overlay.Controller.Administration.CreateService("chat", []));

        Assert.Equal(OverlayAdministrationProblem.AlreadyExists, ex.Problem);
    }
}
