namespace Engine;

/// <summary>A layer factory made from a delegate; the easy way for a plugin to register a layer kind.</summary>
/// <param name="name">The kind users write, e.g. <c>swish</c>.</param>
/// <param name="description">One line: what it computes and its arguments.</param>
/// <param name="create">Makes a layer from its arguments.</param>
public sealed class LayerFactory(string name, string description, Func<ComponentArguments, ILayer> create) : ILayerFactory
{
    /// <inheritdoc/>
    public string Name { get; } = name;

    /// <inheritdoc/>
    public string Description { get; } = description;

    /// <inheritdoc/>
    public ILayer Create(ComponentArguments arguments) => create(arguments);
}

/// <summary>A loss factory made from a delegate.</summary>
/// <param name="name">The name users write.</param>
/// <param name="description">One line: the formula and its arguments.</param>
/// <param name="create">Makes the loss from its arguments.</param>
public sealed class LossFactory(string name, string description, Func<ComponentArguments, ILoss> create) : ILossFactory
{
    /// <inheritdoc/>
    public string Name { get; } = name;

    /// <inheritdoc/>
    public string Description { get; } = description;

    /// <inheritdoc/>
    public ILoss Create(ComponentArguments arguments) => create(arguments);
}

/// <summary>An optimiser factory made from a delegate.</summary>
/// <param name="name">The name users write.</param>
/// <param name="description">One line: the update rule and its arguments.</param>
/// <param name="create">Makes the optimiser from its arguments.</param>
public sealed class OptimizerFactory(string name, string description, Func<ComponentArguments, IOptimizer> create) : IOptimizerFactory
{
    /// <inheritdoc/>
    public string Name { get; } = name;

    /// <inheritdoc/>
    public string Description { get; } = description;

    /// <inheritdoc/>
    public IOptimizer Create(ComponentArguments arguments) => create(arguments);
}

/// <summary>A model definition given by its spec.</summary>
/// <param name="description">One line for listings.</param>
/// <param name="spec">The layers.</param>
public sealed class ModelDefinition(string description, ModelSpec spec) : IModelDefinition
{
    /// <inheritdoc/>
    public string Name => Spec.Name;

    /// <inheritdoc/>
    public string Description { get; } = description;

    /// <inheritdoc/>
    public ModelSpec Spec { get; } = spec;

    /// <inheritdoc/>
    public Shape? DefaultInput { get; init; }
}
