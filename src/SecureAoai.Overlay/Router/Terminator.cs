using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay.Router;

/// <summary>A live Bind: the binder's session, held while its control stream is open.</summary>
internal sealed class Terminator(string service, RouterSession owner, MuxStream control, int weight)
{
    public string Service { get; } = service;

    public RouterSession Owner { get; } = owner;

    public MuxStream Control { get; } = control;

    public int Weight { get; } = weight;

    /// <summary>Dials joined to this binder and still open.</summary>
    public int ActiveDials;
}
