namespace SecureAoai.Overlay.Tests.Fabric;

/// <summary>An identity cannot learn which service names exist by dialing or binding names it may not use.</summary>
public sealed class ServiceProbingHostileTests
{
    [Fact]
    public async Task Dial_MissingServiceAndForbiddenService_GetTheSameAnswer()
    {
        var (fabric, client, _) = await FabricFixture.StartEchoAsync();
        await using var fabricScope = fabric;
        fabric.Controller.CreateService("payroll", ["finance"]);

        var forbidden = await Assert.ThrowsAsync<OverlayDialException>(() => client.DialAsync("payroll"));
        var missing = await Assert.ThrowsAsync<OverlayDialException>(() => client.DialAsync("payrolx"));

        Assert.Equal(OverlayDialFailure.NotAuthorized, forbidden.Reason);
        Assert.Equal(OverlayDialFailure.NotAuthorized, missing.Reason);
        Assert.Equal(forbidden.Message.Replace("payroll", "NAME", StringComparison.Ordinal), missing.Message.Replace("payrolx", "NAME", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bind_MissingServiceAndForbiddenService_GetTheSameAnswer()
    {
        var (fabric, _, server) = await FabricFixture.StartEchoAsync();
        await using var fabricScope = fabric;
        fabric.Controller.CreateService("payroll", ["finance"]);

        var forbidden = await Assert.ThrowsAsync<OverlayDialException>(() => server.BindAsync("payroll"));
        var missing = await Assert.ThrowsAsync<OverlayDialException>(() => server.BindAsync("payrolx"));

        Assert.Equal(OverlayDialFailure.NotAuthorized, forbidden.Reason);
        Assert.Equal(OverlayDialFailure.NotAuthorized, missing.Reason);
        Assert.Equal(forbidden.Message.Replace("payroll", "NAME", StringComparison.Ordinal), missing.Message.Replace("payrolx", "NAME", StringComparison.Ordinal));
    }
}
