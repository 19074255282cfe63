using System.Runtime.CompilerServices;
using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>
/// The session grains' one error boundary: an engine or fusion exception that reaches a grain's surface becomes the
/// <see cref="ChorusException"/> of its kind (<see cref="ErrorMapping.Map"/>), so inner code needs no guard of its own.
/// Model calls arrive mapped already (the model's own boundary), which is what the generation loop's "length" end reads.
/// </summary>
internal static class SessionErrors
{
    public static async IAsyncEnumerable<T> Translate<T>(IAsyncEnumerable<T> source, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var items = source.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            T item;
            try
            {
                if (!await items.MoveNextAsync()) yield break;
                item = items.Current;
            }
            catch (Exception e) when (ErrorMapping.Map(e) is { } mapped)
            {
                throw mapped;
            }
            yield return item;
        }
    }

    public static async Task<T> TranslateAsync<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (Exception e) when (ErrorMapping.Map(e) is { } mapped)
        {
            throw mapped;
        }
    }
}
