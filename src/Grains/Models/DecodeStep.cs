namespace Chorus.Grains;

/// <summary>One decode of a model's scheduler: its rows (tokens in the batch), the sequences they belong to, its time.</summary>
internal readonly record struct DecodeStep(int Rows, int Sequences, double Milliseconds);
