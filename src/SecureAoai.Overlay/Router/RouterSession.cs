using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay.Router;

/// <summary>One authenticated party's connection to the router.</summary>
internal sealed class RouterSession(RouterCaller caller, MuxSession mux)
{
    public RouterCaller Caller { get; } = caller;

    public MuxSession Mux { get; } = mux;
}
