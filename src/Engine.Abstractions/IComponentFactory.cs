namespace Engine;

/// <summary>
/// Creates a named component (layer, loss, optimiser) from arguments. Plugins register factories;
/// the core looks them up by <see cref="Name"/>.
/// </summary>
/// <typeparam name="T">What the factory makes.</typeparam>
public interface IComponentFactory<out T>
{
    /// <summary>The name users write (e.g. <c>dense</c>, <c>sgd</c>); lower case, unique per kind.</summary>
    string Name { get; }

    /// <summary>One line for listings: what it is and its arguments.</summary>
    string Description { get; }

    /// <summary>Creates an instance; throws <see cref="ConfigurationException"/> for bad arguments.</summary>
    T Create(ComponentArguments arguments);
}

/// <summary>Creates layers of one kind.</summary>
public interface ILayerFactory : IComponentFactory<ILayer>;

/// <summary>Creates losses of one kind.</summary>
public interface ILossFactory : IComponentFactory<ILoss>;

/// <summary>Creates optimisers of one kind.</summary>
public interface IOptimizerFactory : IComponentFactory<IOptimizer>;
