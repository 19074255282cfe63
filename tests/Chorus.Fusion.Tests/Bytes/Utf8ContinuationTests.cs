namespace Chorus.Fusion.Tests.Bytes;

public sealed class Utf8ContinuationTests
{
    [Theory]
    [InlineData("41")]
    [InlineData("C3 A9")]
    [InlineData("E2 82 AC")]
    [InlineData("F0 9F 98 80")]
    [InlineData("ED 9F BF")]
    [InlineData("F4 8F BF BF")]
    public void Valid_sequences_are_allowed_and_end_at_a_boundary(string hex)
    {
        var u = new Utf8Continuation();
        var bytes = Convert.FromHexString(hex.Replace(" ", ""));
        for (var i = 0; i < bytes.Length; i++)
        {
            Assert.True(u.Allows(bytes[i]));
            u.Push(bytes[i]);
            Assert.Equal(i == bytes.Length - 1, u.AtCharacterBoundary);
        }
    }

    [Theory]
    [InlineData("80")]
    [InlineData("C0")]
    [InlineData("C1")]
    [InlineData("F5")]
    [InlineData("FF")]
    [InlineData("E0 80")] // overlong
    [InlineData("ED A0")] // surrogate
    [InlineData("F0 80")] // overlong
    [InlineData("F4 90")] // above U+10FFFF
    [InlineData("C3 41")] // lead without continuation
    public void Invalid_bytes_are_refused(string hex)
    {
        var u = new Utf8Continuation();
        var bytes = Convert.FromHexString(hex.Replace(" ", ""));
        for (var i = 0; i < bytes.Length - 1; i++) u.Push(bytes[i]);
        Assert.False(u.Allows(bytes[^1]));
    }

    [Fact]
    public void Mask_removes_invalid_bytes_and_end_mid_character()
    {
        var u = new Utf8Continuation();
        u.Push(0xE2);
        var lp = new double[ByteDistribution.Symbols];
        Array.Fill(lp, Math.Log(1.0 / ByteDistribution.Symbols));
        Assert.True(u.Mask(lp));
        Assert.True(ByteDistribution.Renormalize(lp));
        Assert.True(double.IsNegativeInfinity(lp[ByteDistribution.End]));
        Assert.True(double.IsNegativeInfinity(lp['a']));
        Assert.Equal(Math.Log(1.0 / 64), lp[0x80], 12); // 0x80..0xBF remain, equally likely
    }
}
