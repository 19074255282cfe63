using System.Text;

namespace Chorus.Bench.Fusion;

/// <summary>
/// Reads only <c>tokenizer.ggml.tokens</c> from a GGUF file (header and metadata; tensors are never touched), so the
/// MinED benchmark can use llama.cpp's vocabulary-only files without depending on the model runner.
/// </summary>
internal static class GgufTokenList
{
    public static string[] Read(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        if (reader.ReadUInt32() != 0x46554747) throw new InvalidDataException($"{path} is not a GGUF file");
        var version = reader.ReadUInt32();
        if (version < 2) throw new InvalidDataException($"GGUF version {version} is not supported");
        reader.ReadUInt64(); // tensor count
        var kvCount = reader.ReadUInt64();
        for (ulong i = 0; i < kvCount; i++)
        {
            var key = ReadString(reader);
            var type = reader.ReadUInt32();
            if (key == "tokenizer.ggml.tokens" && type == 9)
            {
                var itemType = reader.ReadUInt32();
                var count = reader.ReadUInt64();
                if (itemType != 8) throw new InvalidDataException("tokenizer.ggml.tokens is not a string array");
                var tokens = new string[count];
                for (ulong t = 0; t < count; t++) tokens[t] = ReadString(reader);
                return tokens;
            }
            Skip(reader, type);
        }
        throw new InvalidDataException($"{path} has no tokenizer.ggml.tokens");
    }

    /// <summary>The folder of llama.cpp's vocabulary files: $CHORUS_VOCAB_DIR, or .cache/llama/*/source/models above the working or base directory.</summary>
    public static string FindModelsDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("CHORUS_VOCAB_DIR");
        if (!string.IsNullOrEmpty(configured)) return configured;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var llama = Path.Combine(dir.FullName, ".cache", "llama");
                if (!Directory.Exists(llama)) continue;
                foreach (var version in Directory.GetDirectories(llama))
                {
                    var models = Path.Combine(version, "source", "models");
                    if (File.Exists(Path.Combine(models, "ggml-vocab-gpt-2.gguf"))) return models;
                }
            }
        }
        throw new DirectoryNotFoundException("llama.cpp vocabulary files not found; set CHORUS_VOCAB_DIR to the folder holding ggml-vocab-*.gguf");
    }

    private static string ReadString(BinaryReader reader)
    {
        var length = reader.ReadUInt64();
        return Encoding.UTF8.GetString(reader.ReadBytes(checked((int)length)));
    }

    private static void Skip(BinaryReader reader, uint type)
    {
        switch (type)
        {
            case 0: case 1: case 7: reader.ReadByte(); break;
            case 2: case 3: reader.ReadUInt16(); break;
            case 4: case 5: case 6: reader.ReadUInt32(); break;
            case 10: case 11: case 12: reader.ReadUInt64(); break;
            case 8: ReadString(reader); break;
            case 9:
                var itemType = reader.ReadUInt32();
                var count = reader.ReadUInt64();
                for (ulong i = 0; i < count; i++) Skip(reader, itemType);
                break;
            default: throw new InvalidDataException($"unknown GGUF value type {type}");
        }
    }
}
