using System.Runtime.InteropServices;

namespace Engine.Backend.Cudnn.Emulator.Tests;

/// <summary>
/// The emulator's own checks, called through its C API as the plugin calls it: a launch runs the
/// real kernel over every (block, thread), block reductions meet at __syncthreads, and a launch
/// whose arguments do not match the kernel's parameter list is refused naming the kernel and the argument.
/// </summary>
public sealed unsafe class EmulatorLaunchTests
{
    private static readonly nint Library = NativeLibrary.Load(Emulator.LibraryPath);

    private static readonly delegate* unmanaged<int, int, byte*, int> Init = (delegate* unmanaged<int, int, byte*, int>)Export("ecud_init");
    internal static readonly delegate* unmanaged<nint*, nuint, int> Malloc = (delegate* unmanaged<nint*, nuint, int>)Export("ecud_malloc");
    private static readonly delegate* unmanaged<nint, int> Free = (delegate* unmanaged<nint, int>)Export("ecud_free");
    private static readonly delegate* unmanaged<nint, void*, nuint, int> ToDevice = (delegate* unmanaged<nint, void*, nuint, int>)Export("ecud_copy_to_device");
    internal static readonly delegate* unmanaged<void*, nint, nuint, int> ToHost = (delegate* unmanaged<void*, nint, nuint, int>)Export("ecud_copy_to_host");
    private static readonly delegate* unmanaged<byte*, byte*, nint*, int> Kernel = (delegate* unmanaged<byte*, byte*, nint*, int>)Export("ecud_kernel");
    private static readonly delegate* unmanaged<nint, uint, uint, uint, void**, int> Launch =
        (delegate* unmanaged<nint, uint, uint, uint, void**, int>)Export("ecud_launch");
    private static readonly delegate* unmanaged<nint> LastError = (delegate* unmanaged<nint>)Export("ecud_last_error");

    private static nint Export(string name) => NativeLibrary.GetExport(Library, name);

    internal static nint KernelOf(string module, string name)
    {
        Assert.Equal(0, Init(0, 0, null));
        nint function;
        fixed (byte* m = System.Text.Encoding.UTF8.GetBytes(module + "\0"))
        fixed (byte* n = System.Text.Encoding.UTF8.GetBytes(name + "\0"))
        {
            Assert.Equal(0, Kernel(m, n, &function));
        }
        return function;
    }

    /// <summary>Launches with one 8-byte slot per argument and the null entry the plugin's launcher ends with.</summary>
    internal static (int Status, string Error) Run(nint function, uint grid, uint block, params ulong[] slots)
    {
        void** pointers = stackalloc void*[slots.Length + 1];
        fixed (ulong* s = slots)
        {
            for (int i = 0; i < slots.Length; i++)
            {
                pointers[i] = s + i;
            }
            pointers[slots.Length] = null;
            int status = Launch(function, grid, block, 0, pointers);
            return (status, status == 0 ? "" : Marshal.PtrToStringUTF8(LastError()) ?? "");
        }
    }

    internal static nint Upload(float[] values)
    {
        nint device;
        Assert.Equal(0, Malloc(&device, (nuint)(values.Length * sizeof(float))));
        fixed (float* v = values)
        {
            Assert.Equal(0, ToDevice(device, v, (nuint)(values.Length * sizeof(float))));
        }
        return device;
    }

    internal static float[] Download(nint device, int count)
    {
        var values = new float[count];
        fixed (float* v = values)
        {
            Assert.Equal(0, ToHost(v, device, (nuint)(count * sizeof(float))));
        }
        return values;
    }

    private static ulong Bits(double value) => (ulong)BitConverter.DoubleToInt64Bits(value);

    [Fact]
    public void AGridStrideKernelVisitsEveryElementOnce()
    {
        nint fill = KernelOf("memory", "fill_f32");
        nint x = Upload(new float[1000]);
        // 2 blocks of 256 threads: the grid-stride loop covers 1000 elements in two rounds.
        Assert.Equal((0, ""), Run(fill, 2, 256, 1000, (ulong)x, Bits(2.5)));
        Assert.All(Download(x, 1000), v => Assert.Equal(2.5f, v));
        Assert.Equal(0, Free(x));
    }

    [Fact]
    public void ABlockReductionMeetsAtSyncthreads()
    {
        // channels.sum: one block of 256 threads, partial sums combined by a tree with a barrier per level.
        nint sum = KernelOf("channels", "sum_f32");
        nint x = Upload(Enumerable.Range(1, 1000).Select(i => (float)i).ToArray());
        nint result = Upload([0f]);
        Assert.Equal((0, ""), Run(sum, 1, 256, 1000, (ulong)x, (ulong)result));
        Assert.Equal(500500f, Download(result, 1)[0]);
        Assert.Equal(0, Free(x));
        Assert.Equal(0, Free(result));
    }

    [Fact]
    public void ALaunchNotMatchingTheKernelsParametersIsRefusedNamingTheArgument()
    {
        nint fill = KernelOf("memory", "fill_f32");
        nint x = Upload(new float[8]);
        Assert.Equal((8, "emulator: kernel memory.fill_f32 takes 3 arguments, the launch gave 2"), Run(fill, 1, 256, 8, (ulong)x));
        Assert.Equal((8, "emulator: kernel memory.fill_f32 takes 3 arguments, the launch gave more"), Run(fill, 1, 256, 8, (ulong)x, Bits(1), 0));
        // An int where the kernel takes a double: its bits read as a subnormal.
        Assert.Equal((8, "emulator: kernel memory.fill_f32 argument 2 (double) has the bits 0x0000000000000003 (subnormal): an integer where a double is expected"),
            Run(fill, 1, 256, 8, (ulong)x, 3));
        // A count where the kernel takes a pointer.
        Assert.Equal((8, "emulator: kernel memory.fill_f32 argument 1 (float*) is 0x8, which is not device memory"), Run(fill, 1, 256, 8, 8, Bits(1)));
        // A double where the kernel takes an i64 count.
        var (status, error) = Run(fill, 1, 256, Bits(8), (ulong)x, Bits(1));
        Assert.Equal(8, status);
        Assert.StartsWith("emulator: kernel memory.fill_f32 argument 0 (i64) is 4620693217682128896", error, StringComparison.Ordinal);
        // The refused launches ran nothing: x still holds the zeros uploaded.
        Assert.All(Download(x, 8), v => Assert.Equal(0f, v));
        Assert.Equal(0, Free(x));
    }
}
