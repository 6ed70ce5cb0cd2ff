namespace Engine.Conformance;

/// <summary>CopyChannels (concatenation) and ScaleChannels.</summary>
internal static class ChannelCases
{
    public static IEnumerable<KitCase> Cases()
    {
        foreach (DataType type in ConformanceKit.FloatTypes)
        {
            var copy = new OpDescriptor(BackendOp.CopyChannels, type) { Shape = new Shape(3, 5, 2, 3) };
            yield return KitCase.Of($"{copy} ranges", copy, CopyRanges);
            var dense = new OpDescriptor(BackendOp.CopyChannels, type) { Shape = new Shape(2, 3) };
            yield return KitCase.Of($"{dense} concatenating feature vectors", dense, c =>
            {
                Tensor a = c.Upload(new Shape(2, 2), [1, 2, 3, 4]), b = c.Upload(new Shape(2, 1), [5, 6]), joined = c.Garbage(new Shape(2, 3));
                c.Backend.CopyChannels(a, 0, joined, 0, 2);
                c.Backend.CopyChannels(b, 0, joined, 2, 1);
                CaseContext.Exact([1, 2, 5, 3, 4, 6], joined, "joined");
            });
            foreach (Shape shape in new[] { new Shape(3, 4, 5, 3), new Shape(6, 11) })
            {
                var scale = new OpDescriptor(BackendOp.ScaleChannels, type) { Shape = shape };
                yield return KitCase.Of(scale.ToString(), scale, c => Scale(c, shape));
            }
        }
    }

    private static void CopyRanges(CaseContext c)
    {
        const int n = 3, sourceChannels = 5, destinationChannels = 4, spatial = 6;
        double[] source = c.Random(n * sourceChannels * spatial, 71), destination = c.Random(n * destinationChannels * spatial, 72);
        Tensor ts = c.Upload(new Shape(n, sourceChannels, 2, 3), source);
        foreach (var (from, to, count) in new[] { (1, 1, 3), (0, 2, 2), (4, 0, 1), (2, 3, 0) })
        {
            Tensor td = c.Upload(new Shape(n, destinationChannels, 2, 3), destination);
            c.Backend.CopyChannels(ts, from, td, to, count);
            double[] expected = (double[])destination.Clone();
            for (int i = 0; i < n; i++)
            {
                for (int ch = 0; ch < count; ch++)
                {
                    for (int s = 0; s < spatial; s++)
                    {
                        expected[(((i * destinationChannels) + to + ch) * spatial) + s] = source[(((i * sourceChannels) + from + ch) * spatial) + s];
                    }
                }
            }
            CaseContext.Exact(expected, td, $"{count} channels {from} → {to}");
        }
    }

    private static void Scale(CaseContext c, Shape shape)
    {
        int n = shape[0], channels = shape[1], spatial = (int)(shape.ElementCount / (n * channels));
        double[] x = c.Random(shape.ElementCount, 73), scale = c.Random(channels, 74);
        double[] expected = x.Select((v, i) => v * scale[(i / spatial) % channels]).ToArray();
        Tensor tx = c.Upload(shape, x), ts = c.Upload(new Shape(channels), scale), ty = c.Garbage(shape);
        c.Backend.ScaleChannels(tx, ts, ty);
        c.Close(expected, ty, "y");
        c.Backend.ScaleChannels(tx, ts, tx);
        c.Close(expected, tx, "y in place");
    }
}
