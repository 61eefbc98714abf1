using System.Net;
using Microsoft.AspNetCore.Builder;
using SecureAoai.AspNetCore.Tests.Infrastructure;

namespace SecureAoai.AspNetCore.Tests;

/// <summary>RequireOverlayRole with AddAuthorization + UseAuthorization: the caller's role attributes decide.</summary>
public sealed class OverlayIdentityTests
{
    [Fact]
    public async Task RequireOverlayRole_CallerWithoutRole_Gets403_CallerWithRole_Gets200()
    {
        await using var overlay = await DarkApp.StartAsync();
        await using var app = overlay.BuildApp();
        await app.StartAsync();
        using var bob = DarkApp.Client(overlay.Bob);
        using var alice = DarkApp.Client(overlay.Alice);

        using var forbidden = await bob.GetAsync("/admin");
        using var allowed = await alice.GetAsync("/admin");

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("admin area", await allowed.Content.ReadAsStringAsync());
        await app.StopAsync();
    }
}
