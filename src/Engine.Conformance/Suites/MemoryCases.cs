namespace Engine.Conformance;

/// <summary>Allocation, host copies both ways, device copies, fill and synchronise, in every type including Int32 labels.</summary>
internal static class MemoryCases
{
    public static IEnumerable<KitCase> Cases()
    {
        foreach (DataType type in new[] { DataType.Float32, DataType.Float64, DataType.Int32 })
        {
            var shape = new Shape(3, 5, 7);
            var d = new OpDescriptor(BackendOp.Memory, type) { Shape = shape };
            yield return KitCase.Of($"{d} round trip, copy and fill", d, c =>
            {
                double[] values = type == DataType.Int32
                    ? Enumerable.Range(0, 105).Select(i => (double)((i * 7919 % 211) - 100)).ToArray()
                    : c.Random(105, 1);
                Tensor x = c.Upload(shape, values);
                CaseContext.Exact(values, x, "upload then download");
                Tensor y = c.Allocate(shape);
                c.Backend.Copy(x, y);
                c.Backend.Synchronize();
                CaseContext.Exact(values, y, "Copy");
                if (type.IsFloatingPoint())
                {
                    c.Backend.Fill(y, -2.5);
                    CaseContext.Exact(Enumerable.Repeat(-2.5, 105).ToArray(), y, "Fill(-2.5)");
                    c.Backend.Fill(y, double.NaN);
                    CaseContext.Exact(Enumerable.Repeat(double.NaN, 105).ToArray(), y, "Fill(NaN)");
                }
                // A copy into a tensor of another shape with the same element count is a reshape.
                Tensor flat = c.Allocate(new Shape(105));
                c.Backend.Copy(x, flat);
                CaseContext.Exact(values, flat, "Copy into [105]");
            });
        }
    }
}
