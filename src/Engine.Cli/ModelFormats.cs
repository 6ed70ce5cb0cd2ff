using Engine.Core;
using Engine.Host;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Cli;

/// <summary>
/// The model file formats plugins register (<see cref="IModelFormat"/>, e.g. ONNX), chosen by file
/// extension, and the conversions between a format's <see cref="ModelPackage"/> and a network.
/// </summary>
internal static class ModelFormats
{
    /// <summary>The format whose extension <paramref name="path"/> has, or null.</summary>
    public static IModelFormat? For(EngineHost host, string path) =>
        host.Services.GetServices<IModelFormat>().FirstOrDefault(f => f.Extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase)));

    /// <summary>The format for <paramref name="path"/>; an error listing the known extensions when none fits.</summary>
    public static IModelFormat Require(EngineHost host, string path)
    {
        IModelFormat? format = For(host, path);
        if (format is not null)
        {
            return format;
        }
        var known = host.Services.GetServices<IModelFormat>().SelectMany(f => f.Extensions).ToList();
        if (known.Count > 0)
        {
            throw new ConfigurationException($"no model format reads or writes '{path}'; known extensions: {string.Join(", ", known)}");
        }
        // No format at all: the ONNX plugin is missing or failed to load. Which plugins did load, and
        // from where, tells the two apart (a plugin that failed is named on the lines after the error).
        var loaded = host.Plugins.Where(p => p.Status == PluginStatus.Loaded).Select(p => p.Name).ToList();
        throw new ConfigurationException($"no model format reads or writes '{path}'; known extensions: none (is the Engine.Interop.Onnx plugin loaded? "
            + $"the plugins loaded from {string.Join(", ", host.PluginFolders)} are {(loaded.Count == 0 ? "none" : string.Join(", ", loaded))})");
    }

    /// <summary>
    /// A model by registered name, JSON model file, or model file of a plugin's format (<c>M.onnx</c>:
    /// its layers; its weights come through <see cref="LoadWeights"/>).
    /// </summary>
    public static ModelSpec ResolveModel(EngineHost host, string nameOrPath) =>
        For(host, nameOrPath) is IModelFormat format ? format.Read(nameOrPath).Spec : host.ResolveModel(nameOrPath);

    /// <summary>The per-sample input a model file of a plugin's format declares; null for anything else.</summary>
    public static Shape? DeclaredInput(EngineHost host, string nameOrPath) =>
        For(host, nameOrPath) is IModelFormat format ? format.Read(nameOrPath).InputShape : null;

    /// <summary>
    /// Transfer learning from a checkpoint or from a model file of a plugin's format: every parameter
    /// whose name and shape match (<see cref="Checkpoint.LoadWeights"/>'s rules).
    /// </summary>
    public static WeightLoadReport LoadWeights(EngineHost host, Network network, string path)
    {
        if (For(host, path) is not IModelFormat format)
        {
            return Checkpoint.LoadWeights(network, path);
        }
        // The file's weights go through a checkpoint so that matching and reporting are the checkpoint's own.
        ModelPackage package = format.Read(path);
        string temporary = Path.Combine(Path.GetTempPath(), $"engine-weights-{Guid.NewGuid():N}.ckpt");
        try
        {
            new Checkpoint(package.State).Write(temporary);
            return Checkpoint.LoadWeights(network, temporary);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// Builds <paramref name="package"/>'s model on <paramref name="backend"/> and loads its weights. What the
    /// file does not carry (a dropout layer's seed) keeps the network's own value; an entry the model
    /// lacks, or of another shape, is an error naming <paramref name="source"/>.
    /// </summary>
    public static Network Build(EngineHost host, IBackend backend, ModelPackage package, string source) =>
        Build(host.Catalog, backend, package, source);

    /// <summary><see cref="Build(EngineHost, IBackend, ModelPackage, string)"/> with the layers of <paramref name="catalog"/> (the fuzz target's, without plugin loading).</summary>
    public static Network Build(ComponentCatalog catalog, IBackend backend, ModelPackage package, string source)
    {
        Network network = Network.Build(package.Spec, catalog, backend, package.InputShape, seed: 1);
        try
        {
            var state = new StateDictionary();
            ModelState.Save(network, state);
            foreach (string name in package.State.Names)
            {
                if (!state.Contains(name))
                {
                    throw new DataFormatException(source, $"weight '{name}' belongs to no parameter of the imported model");
                }
                state.Set(name, package.State[name]);
            }
            ModelState.Load(network, state, source);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}
