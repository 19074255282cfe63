using System.Buffers;
using System.Text;

namespace Chorus.Llama.Gguf;

/// <summary>
/// Writes a GGUF v3 file in one pass: metadata and the tensor table first, then each tensor's data in declared
/// order, aligned. Data goes to a temporary file that replaces <see cref="Path"/> only on <see cref="Complete"/>,
/// so a failed or abandoned write never leaves a truncated model behind.
/// </summary>
public sealed class GgufWriter : IDisposable
{
    private const int ConversionChunkElements = 1 << 16;

    private readonly FileStream _file;
    private readonly GgufValueWriter _out;
    private readonly string _temporaryPath;
    private readonly long _dataOffset;
    private int _next;
    private bool _completed;
    private bool _disposed;

    private GgufWriter(string path, IReadOnlyList<GgufTensorInfo> tensors, uint alignment, Action<GgufValueWriter> writeHeader)
    {
        Path = path;
        Tensors = tensors;
        Alignment = alignment;
        _temporaryPath = $"{path}.{Guid.NewGuid():N}.partial";
        _file = new FileStream(_temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
        _out = new GgufValueWriter(_file);
        try
        {
            writeHeader(_out);
            _dataOffset = GgufLayout.Align(_out.Position, alignment);
            _out.WriteZeros(_dataOffset - _out.Position);
        }
        catch
        {
            Abandon();
            throw;
        }
    }

    public string Path { get; }
    public uint Alignment { get; }

    /// <summary>Absolute file offset where the tensor data section begins.</summary>
    public long DataOffset => _dataOffset;

    /// <summary>The tensor table as it is written (offsets relative to the data section).</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>The tensor whose data must be written next, or null when all are written.</summary>
    public GgufTensorInfo? NextTensor => _next < Tensors.Count ? Tensors[_next] : null;

    /// <summary>Total bytes the finished file will have.</summary>
    public long ExpectedLength => Tensors.Count == 0 ? _dataOffset : _dataOffset + GgufLayout.Align((long)Tensors[^1].Offset + Tensors[^1].ByteSize, Alignment);

    /// <summary>
    /// Starts a GGUF file: writes the metadata (alignment from <c>general.alignment</c> when present, else 32) and the table of
    /// <paramref name="tensors"/>, whose data must then be written in this order.
    /// </summary>
    public static GgufWriter Create(string path, IEnumerable<KeyValuePair<string, GgufValue>> metadata, IEnumerable<GgufTensorSpec> tensors)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var entries = metadata.ToList();
        var alignment = AlignmentOf(entries);
        var infos = Layout(tensors.ToList(), alignment);
        var full = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        return new GgufWriter(full, infos, alignment, w => WriteHeader(w, entries, infos));
    }

    /// <summary>Writes the next tensor from floats, converted to its declared type with ggml's reference conversion.</summary>
    public void WriteTensor(string name, ReadOnlySpan<float> values)
    {
        var tensor = Expect(name);
        if (values.Length != tensor.ElementCount)
            throw new ArgumentException($"tensor '{name}' [{string.Join(", ", tensor.Dimensions)}] has {tensor.ElementCount} elements, {values.Length} given", nameof(values));
        var type = GgmlTypeInfo.Get(tensor.Type);
        if (!type.CanQuantize) throw new NotSupportedException($"ggml cannot convert floats to {type.Name} (tensor '{name}')");
        var chunk = ConversionChunkElements / (int)type.BlockSize * (int)type.BlockSize;
        var buffer = ArrayPool<byte>.Shared.Rent((int)type.RowBytes(chunk));
        try
        {
            for (var start = 0; start < values.Length; start += chunk)
            {
                var part = values.Slice(start, Math.Min(chunk, values.Length - start));
                var bytes = buffer.AsSpan(0, (int)type.RowBytes(part.Length));
                type.FromFloat(part, bytes);
                _out.WriteBytes(bytes);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        FinishTensor(tensor);
    }

    /// <summary>Writes the next tensor from bytes already in its declared type (e.g. copied from another GGUF file).</summary>
    public void WriteTensorData(string name, ReadOnlySpan<byte> data)
    {
        var tensor = Expect(name);
        if (data.Length != tensor.ByteSize)
            throw new ArgumentException($"tensor '{name}' of type {tensor.Type} takes {tensor.ByteSize} bytes, {data.Length} given", nameof(data));
        _out.WriteBytes(data);
        FinishTensor(tensor);
    }

    /// <summary>Checks every tensor was written, flushes, and moves the file into place.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) return;
        if (NextTensor is { } missing)
            throw new InvalidOperationException($"cannot finish '{Path}': tensor '{missing.Name}' and {Tensors.Count - _next - 1} after it were never written");
        _file.Flush(flushToDisk: false);
        _file.Dispose();
        File.Move(_temporaryPath, Path, overwrite: true);
        _completed = true;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_completed) Abandon();
    }

    private GgufTensorInfo Expect(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed || _completed, this);
        var next = NextTensor ?? throw new InvalidOperationException($"every tensor of '{Path}' is already written; '{name}' is not declared");
        if (next.Name != name)
            throw new InvalidOperationException($"tensors are written in declared order: expected '{next.Name}', got '{name}'");
        return next;
    }

    private void FinishTensor(GgufTensorInfo tensor)
    {
        var end = _dataOffset + (long)tensor.Offset + tensor.ByteSize;
        _out.WriteZeros(GgufLayout.Align(end, Alignment) - end);
        _next++;
    }

    private void Abandon()
    {
        _file.Dispose();
        try { File.Delete(_temporaryPath); }
        catch (IOException) { } // best effort: the partial file has a name nobody loads
    }

    private static uint AlignmentOf(List<KeyValuePair<string, GgufValue>> entries)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        uint alignment = GgufLayout.DefaultAlignment;
        foreach (var (key, value) in entries)
        {
            ArgumentException.ThrowIfNullOrEmpty(key);
            ArgumentNullException.ThrowIfNull(value);
            if (!keys.Add(key)) throw new ArgumentException($"metadata key '{key}' is given twice");
            if (key != GgufLayout.AlignmentKey) continue;
            if (value.Type != GgufValueType.UInt32 || value.AsUInt32() == 0 || (value.AsUInt32() & (value.AsUInt32() - 1)) != 0)
                throw new ArgumentException($"'{GgufLayout.AlignmentKey}' must be a UInt32 power of two, not {value.Describe()} {value}");
            alignment = value.AsUInt32();
        }
        return alignment;
    }

    private static List<GgufTensorInfo> Layout(List<GgufTensorSpec> specs, uint alignment)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var infos = new List<GgufTensorInfo>(specs.Count);
        var offset = 0L;
        foreach (var spec in specs)
        {
            ArgumentException.ThrowIfNullOrEmpty(spec.Name);
            if (Encoding.UTF8.GetByteCount(spec.Name) > GgufLayout.MaxTensorNameBytes)
                throw new ArgumentException($"tensor name '{spec.Name}' is longer than ggml's {GgufLayout.MaxTensorNameBytes} bytes");
            if (!names.Add(spec.Name)) throw new ArgumentException($"tensor '{spec.Name}' is declared twice");
            if (spec.Dimensions.Count is 0 or > GgufLayout.MaxDimensions || spec.Dimensions.Any(d => d < 1))
                throw new ArgumentException($"tensor '{spec.Name}' has dimensions [{string.Join(", ", spec.Dimensions)}]; ggml needs 1 to {GgufLayout.MaxDimensions} positive sizes");
            var type = GgmlTypeInfo.Get(spec.Type);
            if (spec.Dimensions[0] % type.BlockSize != 0)
                throw new ArgumentException($"tensor '{spec.Name}': rows of {spec.Dimensions[0]} elements are not a multiple of {type.Name}'s block of {type.BlockSize}");
            var bytes = checked(type.RowBytes(spec.Dimensions[0]) * (spec.ElementCount / spec.Dimensions[0]));
            infos.Add(new GgufTensorInfo(spec.Name, spec.Dimensions.ToArray(), spec.Type, (ulong)offset, bytes));
            offset = GgufLayout.Align(offset + bytes, alignment);
        }
        return infos;
    }

    private static void WriteHeader(GgufValueWriter w, List<KeyValuePair<string, GgufValue>> entries, List<GgufTensorInfo> tensors)
    {
        w.WriteUInt32(GgufLayout.Magic);
        w.WriteUInt32(GgufLayout.CurrentVersion);
        w.WriteUInt64((ulong)tensors.Count);
        w.WriteUInt64((ulong)entries.Count);
        foreach (var (key, value) in entries)
        {
            w.WriteString(key);
            w.WriteUInt32((uint)value.Type);
            w.WriteValue(value);
        }
        foreach (var t in tensors)
        {
            w.WriteString(t.Name);
            w.WriteUInt32((uint)t.Dimensions.Count);
            foreach (var d in t.Dimensions) w.WriteUInt64((ulong)d);
            w.WriteUInt32((uint)t.Type);
            w.WriteUInt64(t.Offset);
        }
    }
}
