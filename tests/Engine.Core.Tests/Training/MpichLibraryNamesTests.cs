using Engine.Core.Distributed;

namespace Engine.Core.Tests.Training;

/// <summary>
/// The MPICH ABI family's library names (MpichLibrary): Debian's libmpich.so.12 first, then
/// libmpi.so.12, the name of MPICH's own install, Intel MPI and MVAPICH; a libmpi.so.12 of Open
/// MPI's 1.10 series (another ABI under the same name) is passed over. No Intel MPI here: the
/// selection runs on a stand-in loader, and once for real on a copy of Debian's MPICH named the
/// way Intel MPI names its library.
/// </summary>
public sealed class MpichLibraryNamesTests
{
    private const string DebianMpich = "/usr/lib/x86_64-linux-gnu/libmpich.so.12";
    private const string DebianOpenMpi = "/usr/lib/x86_64-linux-gnu/libmpi.so.40";

    [Fact]
    public void TheFamilysNamesAreTriedInOrder() => Assert.Equal(["libmpich.so.12", "libmpi.so.12"], MpichLibrary.LibraryNames);

    [Fact]
    public void WithoutLibmpichTheLibmpiOfIntelMpiIsBound()
    {
        var tried = new List<string>();
        string? name = MpichLibrary.LoadFirst(MpichLibrary.LibraryNames, n =>
        {
            tried.Add(n);
            return n == "libmpi.so.12" ? (42, "") : (0, $"{n}: cannot open shared object file");
        }, _ => null, out nint handle, out string reason);
        Assert.Equal("libmpi.so.12", name);
        Assert.Equal(42, handle);
        Assert.Equal("", reason);
        Assert.Equal(["libmpich.so.12", "libmpi.so.12"], tried);
    }

    [Fact]
    public void LibmpichIsPreferredAndTheSecondNameIsNotOpened()
    {
        var tried = new List<string>();
        string? name = MpichLibrary.LoadFirst(MpichLibrary.LibraryNames, n => { tried.Add(n); return (7, ""); }, _ => null, out nint handle, out _);
        Assert.Equal("libmpich.so.12", name);
        Assert.Equal(7, handle);
        Assert.Equal(["libmpich.so.12"], tried);
    }

    [Fact]
    public void ALibraryOfAnotherAbiUnderTheNameIsPassedOverAndEveryReasonIsGiven()
    {
        string? name = MpichLibrary.LoadFirst(MpichLibrary.LibraryNames, n => n == "libmpi.so.12" ? (5, "") : (0, "not found"),
            h => h == 5 ? "it is Open MPI's" : null, out nint handle, out string reason);
        Assert.Null(name);
        Assert.Equal(0, handle);
        Assert.Equal("libmpich.so.12: not found; libmpi.so.12: it is Open MPI's", reason);
    }

    [Fact]
    public void DebiansMpichUnderIntelMpisNameIsBoundAndOpenMpiIsRefused()
    {
        if (!File.Exists(DebianMpich) || !File.Exists(DebianOpenMpi))
        {
            return; // apt-get install mpich openmpi-bin (build.sh installs both)
        }
        string folder = Directory.CreateTempSubdirectory("engine-mpich-").FullName;
        try
        {
            string intelName = Path.Combine(folder, "libmpi.so.12");
            File.CreateSymbolicLink(intelName, DebianMpich);
            string? name = MpichLibrary.LoadFirst([Path.Combine(folder, "libmpich.so.12"), intelName], MpichLibrary.TryLoadNative, MpichLibrary.NotMpichAbi, out nint handle, out string reason);
            Assert.True(name == intelName, reason);
            Assert.NotEqual(0, handle);

            string? refused = MpichLibrary.LoadFirst([DebianOpenMpi], MpichLibrary.TryLoadNative, MpichLibrary.NotMpichAbi, out nint none, out string why);
            Assert.Null(refused);
            Assert.Equal(0, none);
            Assert.Equal($"{DebianOpenMpi}: it is Open MPI's (it exports ompi_mpi_comm_world), not of MPICH's ABI", why);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
