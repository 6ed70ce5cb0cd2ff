namespace Engine;

/// <summary>Base of the errors the engine reports to users; messages are complete sentences for people.</summary>
public class EngineException : Exception
{
    /// <summary>Creates the error with its message.</summary>
    public EngineException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A bad argument, model definition or option; the message names the component and the value.</summary>
public class ConfigurationException : EngineException
{
    /// <summary>Creates the error with its message.</summary>
    public ConfigurationException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A shape that does not fit a layer; the message names the layer and the numbers.</summary>
public class ShapeException : EngineException
{
    /// <summary>Creates the error with its message.</summary>
    public ShapeException(string message) : base(message) { }
}

/// <summary>A data file that is missing, truncated or malformed; the message names the file and the problem.</summary>
public class DataFormatException : EngineException
{
    /// <summary>Creates the error for <paramref name="path"/>.</summary>
    public DataFormatException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The file or folder at fault.</summary>
    public string Path { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}

/// <summary>A backend that cannot run (native library missing, unsupported op); the message says which and why.</summary>
public class BackendException : EngineException
{
    /// <summary>Creates the error with its message.</summary>
    public BackendException(string message, Exception? inner = null) : base(message, inner) { }
}
