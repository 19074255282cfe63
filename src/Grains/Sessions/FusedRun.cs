using System.Diagnostics;
using Chorus.Contracts;
using Chorus.Fusion;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>
/// The state of one fused request across its members: opens every member in parallel, prepares the fusion
/// method, fuses each step and advances every member in step — by token id for members that share the main
/// vocabulary, by re-syncing the shared text for the others. Closes every member sequence on dispose, whatever happened.
/// </summary>
internal sealed class FusedRun : IAsyncDisposable
{
    private readonly Guid _session;
    private readonly List<RunMember> _members;
    private readonly Utf8TokenDecoder _decoder;
    private readonly System.Text.StringBuilder _completion = new();

    private FusedRun(Guid session, List<RunMember> members, FusionMethod method, string prompt)
    {
        _session = session;
        _members = members;
        Method = method;
        Prompt = prompt;
        _decoder = new Utf8TokenDecoder(Main.Vocabulary);
    }

    public FusionMethod Method { get; }
    private MethodRequirements Requirements => Method.Requirements;
    public FusionSession? Fusion { get; private set; }
    public string Prompt { get; }
    public IReadOnlyList<RunMember> Members => _members;
    public RunMember Main => _members[MainIndex];
    public int MainIndex { get; private set; }
    public double PrefillMilliseconds { get; private set; }

    /// <summary>The generated text so far (complete characters only).</summary>
    public string Completion => _completion.ToString();

    /// <summary>Resolves facts and vocabularies of every member, checks they suit the method, opens them on the prompt and prepares the method.</summary>
    public static async Task<FusedRun> OpenAsync(Guid session, IReadOnlyList<MemberPlan> plans, FusionMethod method, string prompt,
        IGrainFactory grains, ClusterModelDirectory directory, VocabularyCatalog catalog, CancellationToken cancellationToken)
    {
        if (plans.Count == 0) throw new ChorusException(ChorusErrorKind.InvalidArgument, "no members");
        foreach (var p in plans) directory.EnsureServed(p.Model);
        var grainRefs = plans.Select(p => grains.GetGrain<IModelGrain>(ReplicaKey(p.Model, session, directory))).ToList();
        var facts = await Task.WhenAll(grainRefs.Select(g => g.Describe()));
        var vocabularies = await Task.WhenAll(grainRefs.Select((g, i) => catalog.Vocabulary(g, facts[i])));
        var members = plans.Select((p, i) => new RunMember(p, grainRefs[i], facts[i], vocabularies[i])).ToList();
        var run = new FusedRun(session, members, method, prompt);
        try
        {
            await run.OpenMembersAsync(catalog, cancellationToken);
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    private async Task OpenMembersAsync(VocabularyCatalog catalog, CancellationToken ct)
    {
        MainIndex = Math.Max(0, _members.FindIndex(m => m.Plan.Role == MemberRole.Main));
        foreach (var m in _members) m.SharesMainVocabulary = m.Facts.VocabularyHash == Main.Facts.VocabularyHash;
        if (!Requirements.AllowsDifferentVocabularies && _members.Any(m => !m.SharesMainVocabulary))
            throw new ChorusException(ChorusErrorKind.FailedPrecondition,
                $"method '{Method.Name}' needs every member to share one vocabulary, but {string.Join(", ", _members.Where(m => !m.SharesMainVocabulary).Select(m => $"'{m.Name}' ({m.Facts.VocabularySize} tokens, {m.Facts.VocabularyKind})"))} differ from main '{Main.Name}'; use unite, deepen, packllm-sim or packllm-opt for mixed vocabularies");

        var embeddings = Requirements.NeedsEmbeddings
            ? await Task.WhenAll(_members.Select(m => catalog.Embeddings(m.Grain, m.Facts)))
            : null;
        var positionsTopK = Requirements.NeedsPromptDistributions ? Math.Max(Requirements.TopK, 64) : 0;
        var started = Stopwatch.GetTimestamp();
        var opened = await Task.WhenAll(_members.Select(async m =>
        {
            var o = await m.Grain.Open(_session, Prompt, Requirements.TopK, positionsTopK, ct);
            m.Opened = true;
            return o;
        }));
        PrefillMilliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        for (var i = 0; i < _members.Count; i++)
        {
            _members[i].Evidence = opened[i].Evidence;
            _members[i].Current = opened[i].Next.ToDistribution();
        }
        var fusionMembers = _members.Select((m, i) => new FusionMember(m.Name, m.Vocabulary, m.Plan.Role)
        {
            ParameterCount = m.Facts.Parameters,
            Embeddings = embeddings?[i],
            DescriptionPrompts = m.Plan.Descriptions.Count > 0 ? m.Plan.Descriptions : null,
        }).ToList();
        Fusion = ErrorMapping.Guard(() => Method.Prepare(new FusionRequest
        {
            Members = fusionMembers,
            Evidence = opened.Select(o => o.Evidence.ToEvidence()).ToList(),
            PromptText = Prompt,
            Maps = catalog.Maps,
        }));
        // members the method will never read (one-member routers) stop decoding: free their slots now
        var fixedWeights = Fusion.PreparedWeights.ToArray();
        if (fixedWeights.Length == _members.Count)
        {
            for (var i = 0; i < _members.Count; i++)
            {
                if (fixedWeights[i] != 0 || i == MainIndex) continue;
                _members[i].Active = false;
                await CloseMember(_members[i]);
            }
        }
    }

    /// <summary>Fuses the members' current distributions.</summary>
    public FusedStep Fuse() => Fusion!.Fuse(_members.Select(m => m.Current!).ToList());

    /// <summary>Appends the chosen token (main vocabulary) to the text and advances every active member to it.</summary>
    public async Task<string> AdvanceAsync(int token, CancellationToken ct)
    {
        var piece = _decoder.Append(token);
        _completion.Append(piece);
        var text = Prompt + _completion;
        await Task.WhenAll(_members.Where(m => m.Active).Select(async m =>
        {
            var step = m.SharesMainVocabulary
                ? await m.Grain.Append(_session, [token], Requirements.TopK, ct)
                : await m.Grain.SyncText(_session, text, Requirements.TopK, ct);
            m.Current = step.Next.ToDistribution();
            m.LastTokens = step.Decoded;
        }));
        return piece;
    }

    /// <summary>Text still held back by the UTF-8 decoder (an unfinished character), flushed at the end.</summary>
    public string FlushText()
    {
        var rest = _decoder.Flush();
        _completion.Append(rest);
        return rest;
    }

    private async Task CloseMember(RunMember m)
    {
        if (!m.Opened) return;
        m.Opened = false;
        try
        {
            await m.Grain.Close(_session).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
            // the member's silo may be gone: its sequence went with it, or the idle sweep frees it
        }
    }

    public async ValueTask DisposeAsync() => await Task.WhenAll(_members.Select(CloseMember));

    // Spread sessions over a model's replicas by session id.
    private static string ReplicaKey(string model, Guid session, ClusterModelDirectory directory)
    {
        var replicas = directory.Replicas(model);
        if (replicas <= 1) return model;
        var r = (int)((uint)session.GetHashCode() % (uint)replicas);
        return r == 0 ? model : $"{model}/{r}";
    }
}
