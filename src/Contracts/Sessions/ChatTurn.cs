namespace Chorus.Contracts;

/// <summary>One message of a conversation (role: system, user or assistant); each member formats the conversation with its own chat template.</summary>
[GenerateSerializer, Immutable, Alias("chorus.ChatTurn")]
public sealed record ChatTurn(
    [property: Id(0)] string Role,
    [property: Id(1)] string Content);
