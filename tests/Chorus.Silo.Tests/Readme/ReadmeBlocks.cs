using System.Text;

namespace Chorus.Silo.Tests.Readme;

/// <summary>The fenced code blocks of a markdown page, by the section they stand in, and shell lines split into words.</summary>
internal static class ReadmeBlocks
{
    /// <summary>The code blocks of language <paramref name="language"/> under the heading <paramref name="heading"/>.</summary>
    public static List<string> In(string markdown, string heading, string language)
    {
        var blocks = new List<string>();
        var section = "";
        StringBuilder? block = null;
        var blockLanguage = "";
        foreach (var line in markdown.Split('\n'))
        {
            if (block is null && line.StartsWith("## ", StringComparison.Ordinal)) section = line[3..].Trim();
            else if (block is null && line.StartsWith("```", StringComparison.Ordinal)) (block, blockLanguage) = (new StringBuilder(), line[3..].Trim());
            else if (block is not null && line.StartsWith("```", StringComparison.Ordinal))
            {
                if (section == heading && blockLanguage == language) blocks.Add(block.ToString());
                block = null;
            }
            else block?.Append(line).Append('\n');
        }
        return blocks;
    }

    /// <summary>The commands of a shell block: comments dropped, backslash continuations joined.</summary>
    public static List<string> Commands(string block)
    {
        var commands = new List<string>();
        var current = new StringBuilder();
        foreach (var raw in block.Split('\n'))
        {
            var line = raw.TrimEnd();
            if (current.Length == 0 && (line.Length == 0 || line.TrimStart().StartsWith('#'))) continue;
            if (line.EndsWith('\\')) { current.Append(line[..^1]); continue; }
            commands.Add(current.Append(line).ToString().Trim());
            current.Clear();
        }
        return commands;
    }

    /// <summary>A command line split into words as a POSIX shell does for single and double quotes (no expansions).</summary>
    public static List<string> Words(string command)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            if (c is '\'' or '"')
            {
                var end = command.IndexOf(c, i + 1);
                if (end < 0) throw new FormatException($"unclosed {c} in: {command}");
                word.Append(command, i + 1, end - i - 1);
                i = end;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }
}
