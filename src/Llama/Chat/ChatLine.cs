namespace Chorus.Llama.Chat;

/// <summary>One message of a conversation: a role (system, user, assistant) and its text.</summary>
public readonly record struct ChatLine(string Role, string Content);
