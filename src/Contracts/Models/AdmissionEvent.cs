namespace Chorus.Contracts;

/// <summary>What a model grain says while a request waits for slots: <see cref="AdmissionQueued"/> updates, then <see cref="AdmissionGranted"/>.</summary>
[GenerateSerializer, Immutable, Alias("chorus.AdmissionEvent")]
public abstract record AdmissionEvent;

/// <summary>Every slot is taken: the request waits in the model's FIFO queue at this position (1 = next).</summary>
[GenerateSerializer, Immutable, Alias("chorus.AdmissionQueued")]
public sealed record AdmissionQueued(
    [property: Id(0)] int Position,
    [property: Id(1)] int QueueLength) : AdmissionEvent;

/// <summary>The slots were granted; the owner holds them until it releases them.</summary>
[GenerateSerializer, Immutable, Alias("chorus.AdmissionGranted")]
public sealed record AdmissionGranted(
    [property: Id(0)] SequenceHandle[] Handles) : AdmissionEvent;
