namespace Engine.Cli;

/// <summary>
/// Checks the files <c>engine train</c> will write before anything is loaded or trained: each can be
/// written (so a read-only or missing folder fails now, not after the whole run), and no two of them,
/// nor one of them and an input, are the same file (one would overwrite the other).
/// </summary>
internal static class OutputFiles
{
    /// <summary>Throws a <see cref="ConfigurationException"/> naming the option and path at fault.</summary>
    public static void Check(TrainSettings settings, string? configPath)
    {
        // The checkpoint is written to --resume's path when --checkpoint is not given: resuming in place.
        var outputs = new List<(string Option, string Path)>();
        Add(outputs, settings.Checkpoint is null && settings.Resume is not null ? "--resume" : "--checkpoint", settings.Checkpoint ?? settings.Resume);
        Add(outputs, "--metrics", settings.Metrics);
        Add(outputs, "--curves", settings.Curves);
        Add(outputs, "--log-steps", settings.LogSteps);

        var inputs = new List<(string Option, string Path)>();
        Add(inputs, "--config", configPath);
        Add(inputs, "--weights", settings.Weights);
        if (File.Exists(settings.Model))
        {
            Add(inputs, "--model", settings.Model);
        }
        if (settings.Checkpoint is not null)
        {
            Add(inputs, "--resume", settings.Resume); // --resume X --checkpoint X continues the same file, allowed
        }

        for (int i = 0; i < outputs.Count; i++)
        {
            for (int j = i + 1; j < outputs.Count; j++)
            {
                if (SameFile(outputs[i].Path, outputs[j].Path))
                {
                    throw new ConfigurationException($"{outputs[i].Option} '{outputs[i].Path}' and {outputs[j].Option} '{outputs[j].Path}' are the same file: one would overwrite the other");
                }
            }
            foreach (var input in inputs)
            {
                if (SameFile(outputs[i].Path, input.Path) && !(outputs[i].Option == "--checkpoint" && input.Option == "--resume"))
                {
                    throw new ConfigurationException($"{outputs[i].Option} '{outputs[i].Path}' is the input {input.Option} '{input.Path}': writing it would destroy the input");
                }
            }
        }
        foreach (var (option, path) in outputs)
        {
            CheckWritable(option, path);
        }
        if (outputs.Count > 0 && outputs[0].Option is "--checkpoint" && !settings.Force && Engine.Core.Checkpoint.ForeignFile(outputs[0].Path) is string foreign)
        {
            throw new ConfigurationException($"--checkpoint '{outputs[0].Path}': {foreign}; refusing to overwrite it (--force replaces it)");
        }
    }

    private static void Add(List<(string, string)> list, string option, string? path)
    {
        if (path is not null)
        {
            list.Add((option, path));
        }
    }

    private static bool SameFile(string a, string b) =>
        string.Equals(Resolve(a), Resolve(b), OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);

    // The full path, through a symbolic link at the file itself (two names for one file are one file).
    private static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        try
        {
            return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return full;
        }
    }

    // Writes nothing that stays: an existing file is opened for writing without truncation; otherwise a
    // uniquely named probe file is created (and deleted on close) in the nearest existing folder.
    private static void CheckWritable(string option, string path)
    {
        string full = Path.GetFullPath(path);
        try
        {
            if (Directory.Exists(full))
            {
                throw new ConfigurationException($"{option} '{path}' is a folder; give a file name");
            }
            if (File.Exists(full))
            {
                using (new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
                {
                }
                return;
            }
            string? folder = Path.GetDirectoryName(full);
            while (folder is not null && !Directory.Exists(folder))
            {
                if (File.Exists(folder))
                {
                    throw new ConfigurationException($"{option} '{path}' cannot be written: '{folder}' is a file, not a folder");
                }
                folder = Path.GetDirectoryName(folder);
            }
            string probe = Path.Combine(folder ?? ".", $".engine-write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"{option} '{path}' cannot be written: {e.Message}");
        }
    }
}
