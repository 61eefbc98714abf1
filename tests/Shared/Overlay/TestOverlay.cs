using SecureAoai.Overlay;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Tests.Fabric;

namespace SecureAoai.Testing.Overlay;

/// <summary>Which overlay a transport test runs over.</summary>
public enum OverlayKind
{
    /// <summary>The embedded overlay on loopback: controller, router, enrollment, TLS, end-to-end sealing.</summary>
    Embedded,

    /// <summary>The <see cref="InMemoryOverlay"/>: the <see cref="IOverlayTransport"/> seam and nothing behind it.</summary>
    InMemory,
}

/// <summary>
/// The overlay under a transport test, whichever it is: services with a dial role and a bind role,
/// identities joined with roles, and what the test reads back (binders of a service, bytes carried).
/// </summary>
internal abstract class TestOverlay : IAsyncDisposable
{
    /// <summary>The embedded overlay's fabric, or <see langword="null"/> for the in-memory one.</summary>
    public virtual FabricFixture? Fabric => null;

    /// <summary>Bytes the overlay carried between dialers and binders.</summary>
    public abstract long CarriedBytes { get; }

    public static TestOverlay Start(OverlayKind kind) => kind == OverlayKind.Embedded ? new Embedded(FabricFixture.Start()) : new InMemory();

    /// <summary>A service that identities with <paramref name="dialRole"/> may dial and those with <paramref name="bindRole"/> may bind.</summary>
    public abstract void CreateService(string service, string dialRole, string bindRole);

    /// <summary>An identity with <paramref name="roles"/>, as a transport that dials and binds as it (disposed with the overlay).</summary>
    public abstract Task<IOverlayTransport> JoinAsync(string name, params string[] roles);

    /// <summary>Live binders of <paramref name="service"/> (terminators, on the embedded overlay's router).</summary>
    public abstract int BinderCount(string service);

    public abstract ValueTask DisposeAsync();

    private sealed class Embedded(FabricFixture fabric) : TestOverlay
    {
        public override FabricFixture Fabric => fabric;

        public override long CarriedBytes => fabric.Router.ForwardedBytes;

        public override void CreateService(string service, string dialRole, string bindRole)
        {
            fabric.Controller.Administration.CreateService(service, [service]);
            fabric.Controller.Administration.CreateServicePolicy($"{service}-dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, [$"#{dialRole}"], [$"#{service}"]);
            fabric.Controller.Administration.CreateServicePolicy($"{service}-bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, [$"#{bindRole}"], [$"#{service}"]);
        }

        public override async Task<IOverlayTransport> JoinAsync(string name, params string[] roles) => fabric.Context(await fabric.EnrollAsync(name, roles));

        public override int BinderCount(string service) => fabric.Router.TerminatorCount(service);

        public override ValueTask DisposeAsync() => fabric.DisposeAsync();
    }

    private sealed class InMemory : TestOverlay
    {
        private readonly InMemoryOverlay _network = new();

        public override long CarriedBytes => _network.CarriedBytes;

        public override void CreateService(string service, string dialRole, string bindRole) => _network.CreateService(service, dialRole, bindRole);

        public override Task<IOverlayTransport> JoinAsync(string name, params string[] roles) => Task.FromResult(_network.Join(name, roles));

        public override int BinderCount(string service) => _network.BinderCount(service);

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
