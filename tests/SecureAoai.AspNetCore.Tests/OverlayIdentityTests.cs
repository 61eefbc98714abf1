using System.Net;
using Microsoft.AspNetCore.Builder;
using SecureAoai.AspNetCore.Tests.Infrastructure;
using SecureAoai.Testing.Overlay;

namespace SecureAoai.AspNetCore.Tests;

/// <summary>RequireOverlayRole over the embedded overlay.</summary>
public sealed class EmbeddedOverlayIdentityTests() : OverlayIdentityTests(OverlayKind.Embedded);

/// <summary>RequireOverlayRole over the in-memory overlay: the roles come through the seam's <see cref="SecureAoai.Overlay.OverlayStream.Peer"/>.</summary>
public sealed class InMemoryOverlayIdentityTests() : OverlayIdentityTests(OverlayKind.InMemory);

/// <summary>RequireOverlayRole with AddAuthorization + UseAuthorization: the caller's role attributes decide.</summary>
public abstract class OverlayIdentityTests(OverlayKind kind)
{
    [Fact]
    public async Task RequireOverlayRole_CallerWithoutRole_Gets403_CallerWithRole_Gets200()
    {
        await using var overlay = await DarkApp.StartAsync(kind);
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
