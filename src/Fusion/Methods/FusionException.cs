namespace Chorus.Fusion;

/// <summary>A method name or parameter is wrong (the cluster answers InvalidArgument). The message names the fix.</summary>
public sealed class FusionParameterException(string message) : ArgumentException(message);

/// <summary>The members or their evidence do not fit the method (the cluster answers FailedPrecondition).</summary>
public sealed class FusionPackException(string message) : InvalidOperationException(message);
