namespace Engine;

/// <summary>Weight initialisation rules of <see cref="Initializer"/>; fans are PyTorch's (see <see cref="Initializer.Fill"/>).</summary>
public enum InitializerKind
{
    /// <summary>PyTorch's default for nn.Linear and nn.ConvNd: uniform on ±1/√fan_in.</summary>
    Default,

    /// <summary>Normal with mean 0 and the given standard deviation (default 0.01).</summary>
    Normal,

    /// <summary>Uniform on ±limit (default 0.05).</summary>
    Uniform,

    /// <summary>Glorot/Xavier uniform: ±√(6/(fan_in + fan_out)).</summary>
    XavierUniform,

    /// <summary>Glorot/Xavier normal: standard deviation √(2/(fan_in + fan_out)).</summary>
    XavierNormal,

    /// <summary>He/Kaiming normal for ReLU, fan_in mode: standard deviation √(2/fan_in).</summary>
    HeNormal,

    /// <summary>He/Kaiming uniform for ReLU, fan_in mode: ±√(6/fan_in).</summary>
    HeUniform,
}

/// <summary>How a layer initialises its bias.</summary>
public enum BiasInitializer
{
    /// <summary>PyTorch's default: uniform on ±1/√fan_in (whatever the weight's rule).</summary>
    Default,

    /// <summary>All zeros.</summary>
    Zeros,
}
