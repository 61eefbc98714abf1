namespace SecureAoai.Overlay.Tests.Fabric;

/// <summary>An identity cannot learn which service names exist by dialing or binding names it may not use.</summary>
public sealed class ServiceProbingHostileTests
{
    [Theory]
    [InlineData("dial")]
    [InlineData("bind")]
    public async Task DialOrBind_MissingServiceAndForbiddenService_GetTheSameAnswer(string operation)
    {
        var (fabric, client, server) = await FabricFixture.StartEchoAsync();
        await using var fabricScope = fabric;
        fabric.Controller.Administration.CreateService("payroll", ["finance"]);
        Func<string, Task> attempt = operation == "dial" ? name => client.DialAsync(name) : name => server.BindAsync(name);

        var forbidden = await Assert.ThrowsAsync<OverlayDialException>(() => attempt("payroll"));
        var missing = await Assert.ThrowsAsync<OverlayDialException>(() => attempt("payrolx"));

        Assert.Equal(OverlayDialFailure.NotAuthorized, forbidden.Reason);
        Assert.Equal(OverlayDialFailure.NotAuthorized, missing.Reason);
        Assert.Equal(forbidden.Message.Replace("payroll", "NAME", StringComparison.Ordinal), missing.Message.Replace("payrolx", "NAME", StringComparison.Ordinal));
    }
}
