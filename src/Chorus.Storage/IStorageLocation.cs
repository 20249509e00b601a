namespace Chorus.Storage;

/// <summary>
/// Where file-based stores keep their files, as the host configured it (settings <c>Chorus:DataDirectory</c> and
/// <c>Chorus:DatabaseFileName</c>), and the host's claim on that place: a store calls <see cref="Acquire"/> before it
/// opens any file there, so that two servers never share one data directory.
/// </summary>
public interface IStorageLocation
{
    /// <summary>The data directory.</summary>
    string DataDirectory { get; }

    /// <summary>The chat database's file name inside <see cref="DataDirectory"/>.</summary>
    string ChatDatabaseFileName { get; }

    /// <summary>Creates the data directory if needed and takes it for this process (the host's exclusive lock); does
    /// nothing when already taken. Call before opening any file in it.</summary>
    /// <exception cref="IOException">Another process holds the directory, or it cannot be created.</exception>
    void Acquire();
}
