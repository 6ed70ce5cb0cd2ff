namespace Engine;

/// <summary>
/// A data set whose samples depend on the epoch, such as one with random augmentation. The trainer
/// calls <see cref="BeginEpoch"/> before reading any sample of an epoch, so the randomness is a
/// function of (seed, epoch, index) and a resumed run sees the same samples as an uninterrupted one.
/// </summary>
public interface IEpochAwareDataset
{
    /// <summary>Selects the randomness of epoch <paramref name="epoch"/> (1-based).</summary>
    void BeginEpoch(int epoch);
}
