namespace SecureAoai.Overlay.Router;

/// <summary>How a dial picks among the live binders of a service.</summary>
public enum TerminatorStrategy
{
    /// <summary>The binder with the fewest active streams; ties broken at random. The default.</summary>
    Smart,

    /// <summary>At random, in proportion to each binder's weight.</summary>
    Weighted,

    /// <summary>At random.</summary>
    Random,
}
