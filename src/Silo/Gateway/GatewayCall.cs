namespace Chorus.Silo.Gateway;

/// <summary>
/// Who is asking: the front end (<see cref="Grains.RequestLabels.Grpc"/> or <see cref="Grains.RequestLabels.Http"/>, a
/// metrics label), the request's id (the trace and log scope) and the client's own cancellation — cancelled when the
/// client leaves or its call's deadline passes.
/// </summary>
internal readonly record struct GatewayCall(string FrontEnd, string RequestId, CancellationToken Client);
