using System.IO.MemoryMappedFiles;

namespace Chorus.Llama.Gguf;

/// <summary>
/// A GGUF file opened for reading: header, metadata and tensor table are parsed up front; tensor bytes are read
/// on demand from a memory map, so a multi-gigabyte model never has to fit in managed memory.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    private readonly GgufHeader _header;
    private readonly Dictionary<string, GgufTensorInfo> _byName;
    private readonly Lock _mapGate = new();
    private MemoryMappedFile? _map;
    private MemoryMappedViewAccessor? _view;
    private byte* _base;
    private bool _disposed;

    private GgufFile(string path, GgufHeader header)
    {
        Path = path;
        _header = header;
        _byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public string Path { get; }
    public uint Version => _header.Version;

    /// <summary>Alignment of the tensor data (<c>general.alignment</c>, default 32).</summary>
    public uint Alignment => _header.Alignment;

    /// <summary>Absolute file offset where the tensor data section begins.</summary>
    public long DataOffset => _header.DataOffset;
    public long FileLength => _header.FileLength;

    /// <summary>Every metadata entry, in file order.</summary>
    public IReadOnlyDictionary<string, GgufValue> Metadata => _header.Metadata;

    /// <summary>The tensor table, in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors => _header.Tensors;

    /// <summary><c>general.architecture</c>, or null when the file has none.</summary>
    public string? Architecture =>
        Metadata.TryGetValue("general.architecture", out var v) && v.Type == GgufValueType.String ? v.AsString() : null;

    /// <summary>Opens and validates a GGUF file; anything malformed raises a <see cref="GgufFormatException"/> saying what and where.</summary>
    public static GgufFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Directory.Exists(path)) throw new GgufFormatException(path, "it is a directory, not a .gguf file");
        if (!File.Exists(path)) throw new GgufFormatException(path, "file not found");
        return new GgufFile(path, GgufHeaderReader.Read(path));
    }

    public GgufTensorInfo GetTensor(string name) => _byName.TryGetValue(name, out var t)
        ? t
        : throw new KeyNotFoundException($"'{Path}' has no tensor '{name}' ({Tensors.Count} tensors, e.g. {string.Join(", ", Tensors.Take(3).Select(x => x.Name))})");

    public bool TryGetTensor(string name, out GgufTensorInfo tensor) => _byName.TryGetValue(name, out tensor!);

    /// <summary>Copies a tensor's raw (possibly quantised) bytes.</summary>
    public void ReadTensorData(GgufTensorInfo tensor, Span<byte> destination)
    {
        if (destination.Length != tensor.ByteSize)
            throw new ArgumentException($"tensor '{tensor.Name}' has {tensor.ByteSize} bytes, the destination {destination.Length}", nameof(destination));
        DataOf(tensor).CopyTo(destination);
    }

    public byte[] ReadTensorData(string name)
    {
        var tensor = GetTensor(name);
        var bytes = new byte[checked((int)tensor.ByteSize)];
        ReadTensorData(tensor, bytes);
        return bytes;
    }

    /// <summary>Converts a tensor to floats with ggml's own <c>to_float</c> for its type.</summary>
    public void Dequantize(GgufTensorInfo tensor, Span<float> destination)
    {
        if (destination.Length != tensor.ElementCount)
            throw new ArgumentException($"tensor '{tensor.Name}' has {tensor.ElementCount} elements, the destination {destination.Length}", nameof(destination));
        var type = GgmlTypeInfo.Get(tensor.Type);
        if (!type.CanDequantize)
            throw new NotSupportedException($"ggml has no float conversion for tensor '{tensor.Name}' of type {type.Name}");
        type.ToFloat(DataOf(tensor), destination);
    }

    public float[] Dequantize(string name)
    {
        var tensor = GetTensor(name);
        var values = new float[checked((int)tensor.ElementCount)];
        Dequantize(tensor, values);
        return values;
    }

    private ReadOnlySpan<byte> DataOf(GgufTensorInfo tensor)
    {
        var own = GetTensor(tensor.Name);
        if (own.Offset != tensor.Offset || own.ByteSize != tensor.ByteSize)
            throw new ArgumentException($"tensor '{tensor.Name}' is not the one in '{Path}' (different offset or size)", nameof(tensor));
        if (tensor.ByteSize > int.MaxValue)
            throw new NotSupportedException($"tensor '{tensor.Name}' has {tensor.ByteSize} bytes; spans stop at 2 GiB");
        return new ReadOnlySpan<byte>(MapBase() + DataOffset + (long)tensor.Offset, (int)tensor.ByteSize);
    }

    private byte* MapBase()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_base != null) return _base;
        lock (_mapGate)
        {
            if (_base != null) return _base;
            _map = MemoryMappedFile.CreateFromFile(Path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _base = p + _view.PointerOffset;
            return _base;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_mapGate)
        {
            if (_base != null) _view!.SafeMemoryMappedViewHandle.ReleasePointer();
            _base = null;
            _view?.Dispose();
            _map?.Dispose();
        }
    }
}
