using Engine.Core;

namespace Engine.Cli;

/// <summary>
/// The data sets of an <c>engine train</c> run, prepared from the settings in this order: the
/// <c>--limit</c> prefix of the training split, the validation hold-out (taken before augmentation,
/// so validation examples are never randomly transformed), then the augmentation of the training
/// examples, with its normalisation applied to the validation and test examples as well.
/// </summary>
internal sealed record TrainingDataSetup(ImageDataset Train, ImageDataset? Validation, ImageDataset Test, AugmentationPipeline? Augmentation)
{
    public static TrainingDataSetup From(DatasetSplits data, TrainSettings settings)
    {
        ImageDataset train = data.Train;
        if (settings.Limit is int limit && limit < train.Count)
        {
            train = new SubsetDataset(train, Enumerable.Range(0, limit).ToArray());
        }
        ImageDataset? validation = null;
        if (settings.ValidationSplit is double fraction)
        {
            (train, validation) = DataSplits.TrainValidation(train, fraction, settings.Seed);
        }
        ImageDataset test = data.Test;
        AugmentationPipeline? pipeline = null;
        if (settings.Augment is string spec)
        {
            // A config file may hold the JSON array form (it arrives as its JSON text), the command line the compact one.
            pipeline = spec.TrimStart().StartsWith('[') ? AugmentationPipeline.FromJson(spec) : AugmentationPipeline.Parse(spec);
            train = new AugmentedDataset(train, pipeline, settings.Seed);
            AugmentationPipeline evaluation = pipeline.ForEvaluation();
            if (evaluation.Transforms.Count > 0)
            {
                test = new AugmentedDataset(test, evaluation, settings.Seed);
                validation = validation is null ? null : new AugmentedDataset(validation, evaluation, settings.Seed);
            }
        }
        return new TrainingDataSetup(train, validation, test, pipeline);
    }

    /// <summary>One line for the run's header.</summary>
    public string Describe() =>
        $"{Train.Count} training{(Validation is null ? "" : $", {Validation.Count} validation")}, {Test.Count} test examples of {Train.SampleShape}, {Train.ClassCount} classes"
        + (Augmentation is null ? "" : $"; augmentation {Augmentation}");
}
