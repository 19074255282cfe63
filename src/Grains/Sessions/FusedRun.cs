using System.Diagnostics;
using System.Runtime.CompilerServices;
using Chorus.Contracts;
using Chorus.Fusion;
using Chorus.Llama;
using Microsoft.Extensions.Logging;

namespace Chorus.Grains;

/// <summary>
/// The state of one fused request across its members: resolves them, is admitted to every member's slots (in one
/// global order of model keys, each model's slots at once, so sessions never deadlock waiting for each other),
/// prefills all members in parallel, prepares the fusion method, fuses each step and advances every member in step —
/// by token id for members that share the main vocabulary, by re-syncing the shared text for the others. The session
/// owns every sequence it was granted; disposing releases them all on every model it asked, whatever happened.
/// </summary>
internal sealed class FusedRun : IAsyncDisposable
{
    private readonly Guid _session;
    private readonly List<RunMember> _members;
    private Utf8TokenDecoder _decoder;
    private readonly System.Text.StringBuilder _completion = new();
    private readonly List<IModelGrain> _asked = [];
    private readonly ILogger _logger;
    private readonly ClusterModelDirectory _directory;
    private bool _ended;

    private FusedRun(Guid session, List<RunMember> members, FusionMethod method, ClusterModelDirectory directory, ILogger logger)
    {
        _session = session;
        _directory = directory;
        _logger = logger;
        _members = members;
        Method = method;
        MainIndex = PlannedMainIndex = Math.Max(0, _members.FindIndex(m => m.Plan.Role == MemberRole.Main));
        Prompt = Main.Prompt;
        _decoder = new Utf8TokenDecoder(Main.Vocabulary);
    }

    public FusionMethod Method { get; }
    private MethodRequirements Requirements => Method.Requirements;
    public FusionSession? Fusion { get; private set; }
    /// <summary>The main member's prompt (every member's, unless a conversation was formatted per member).</summary>
    public string Prompt { get; }

    /// <summary>The conversation each member's prompt was formatted from (null for a plain prompt).</summary>
    public ChatTurn[]? Messages { get; private init; }
    public IReadOnlyList<RunMember> Members => _members;
    /// <summary>
    /// The member whose vocabulary the fused tokens are in: the main member, or after <see cref="PrefillAsync"/> the
    /// reference the method chose (PackLLM's <c>reference=best</c>: the lowest-loss member). Sampled token ids, the
    /// end-of-generation test, log-probs and speculative drafts are in its vocabulary.
    /// </summary>
    public RunMember Main => _members[MainIndex];
    public int MainIndex { get; private set; }

    /// <summary>The member marked main (member 0 by default), whatever vocabulary the method fuses in.</summary>
    public int PlannedMainIndex { get; }
    public double PrefillMilliseconds { get; private set; }

    /// <summary>Where each step's time went (member calls here; fuse, sample and stream added by the session).</summary>
    public StepTimings Timings { get; } = new();

    /// <summary>Text of the token last appended (complete characters only).</summary>
    public string LastPiece { get; private set; } = "";

    /// <summary>The generated text so far (complete characters only).</summary>
    public string Completion => _completion.ToString();

    /// <summary>
    /// Resolves facts and vocabularies of every member and checks they suit the method (before asking for any slot).
    /// With <paramref name="messages"/> each member's prompt is the conversation in its own chat template, else <paramref name="prompt"/>.
    /// </summary>
    public static async Task<FusedRun> ResolveAsync(Guid session, IReadOnlyList<MemberPlan> plans, FusionMethod method, string prompt,
        IGrainFactory grains, ClusterModelDirectory directory, VocabularyCatalog catalog, ILogger logger, ChatTurn[]? messages = null)
    {
        if (plans.Count == 0) throw new ChorusException(ChorusErrorKind.InvalidArgument, "no members");
        foreach (var p in plans) directory.EnsureServed(p.Model);
        var keys = plans.Select(p => ReplicaKey(p.Model, session, directory)).ToList();
        var grainRefs = keys.Select(k => ModelGrains.Get(grains, k)).ToList();
        var facts = await Task.WhenAll(grainRefs.Select(g => g.Describe()));
        var vocabularies = await Task.WhenAll(grainRefs.Select((g, i) => catalog.Vocabulary(g, facts[i])));
        var prompts = messages is null ? null : await Task.WhenAll(grainRefs.Select(g => g.FormatChat(messages)));
        var members = plans.Select((p, i) => new RunMember(p, grainRefs[i], facts[i], vocabularies[i]) { Prompt = prompts?[i] ?? prompt, IsChat = prompts is not null }).ToList();
        var run = new FusedRun(session, members, method, directory, logger) { Messages = messages };
        run.CheckVocabularies();
        return run;
    }

    /// <summary>True when the deadline (not the caller) ended <see cref="AdmitOrDeadlineAsync"/> before every slot was granted.</summary>
    public bool AdmissionTimedOut { get; private set; }

    /// <summary>
    /// <see cref="AdmitAsync"/> for a generation: yields where the session stands, and when the deadline (<paramref name="ct"/>
    /// but not <paramref name="caller"/>) cuts the wait short, ends quietly with <see cref="AdmissionTimedOut"/> set.
    /// </summary>
    public async IAsyncEnumerable<GenerationQueued> AdmitOrDeadlineAsync([EnumeratorCancellation] CancellationToken ct, CancellationToken caller)
    {
        var admission = AdmitAsync(ct).GetAsyncEnumerator(ct);
        try
        {
            while (true)
            {
                GenerationQueued queued;
                try
                {
                    if (!await admission.MoveNextAsync()) break;
                    queued = admission.Current;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested && !caller.IsCancellationRequested)
                {
                    // only our own deadline: a cancellation the far side of a streamed call reports is not one
                    AdmissionTimedOut = true;
                    break;
                }
                yield return queued;
            }
        }
        finally
        {
            await admission.DisposeAsync();
        }
    }

    /// <summary>
    /// Asks every member's model for its slots — a model named k times for k at once — in ordinal order of model keys,
    /// holding what was granted while waiting for the next (ordered acquisition: no cycle, no deadlock). Yields where
    /// the session stands whenever it waits.
    /// </summary>
    public async IAsyncEnumerable<GenerationQueued> AdmitAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var group in _members.GroupBy(m => m.Grain.GetPrimaryKeyString(), StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (_ended) throw new OperationCanceledException("the session was ended while it waited for slots");
            var members = group.ToList();
            _asked.Add(members[0].Grain); // asked before the call: whatever it grants is released on dispose
            await foreach (var e in MemberLoss.Guard(members[0], members[0].Grain.Admit(_session, members.Count, ct)))
            {
                if (e is AdmissionQueued q)
                    yield return new GenerationQueued(group.Key, q.Position, q.QueueLength, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                else if (e is AdmissionGranted granted)
                    for (var i = 0; i < members.Count; i++) members[i].Sequence = new MemberSequence(members[i].Grain, granted.Handles[i], members[i].Facts.ContextSize);
            }
            if (members.Any(m => m.Handle is null))
                throw new ChorusException(ChorusErrorKind.Internal, $"model '{group.Key}' ended admission without granting slots");
        }
    }

    /// <summary>
    /// Prefills every member on the prompt in parallel and prepares the method. With <paramref name="freeUnusedMembers"/>
    /// the slots of members the method gives weight 0 for good are freed (not when they are scored alone afterwards).
    /// </summary>
    public async Task PrefillAsync(VocabularyCatalog catalog, bool freeUnusedMembers, CancellationToken ct)
    {
        var embeddings = Requirements.NeedsEmbeddings
            ? await Task.WhenAll(_members.Select(m => catalog.Embeddings(m.Grain, m.Facts)))
            : null;
        // per-position log-probs cost the output layer at every prompt row: computed only for methods that read them
        var evidence = Requirements.NeedsPromptEvidence || Requirements.NeedsPromptDistributions;
        var positionsTopK = Requirements.NeedsPromptDistributions ? Math.Max(Requirements.TopK, Requirements.PromptPositionsTopK) : 0;
        var started = Stopwatch.GetTimestamp();
        var opened = await Task.WhenAll(_members.Select(m => MemberLoss.Guard(m, () =>
            m.Sequence!.PrefillAsync(m.Prompt, m.IsChat, Requirements.TopK, positionsTopK, evidence, ct))));
        PrefillMilliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        for (var i = 0; i < _members.Count; i++)
        {
            _members[i].Evidence = opened[i].Evidence;
            _members[i].Current = _members[i].Sequence!.AfterPrompt;
        }
        var fusionMembers = _members.Select((m, i) => new FusionMember(m.Name, m.Vocabulary, m.Plan.Role)
        {
            ParameterCount = m.Facts.Parameters,
            Embeddings = embeddings?[i],
            DescriptionPrompts = m.Plan.Descriptions.Count > 0 ? m.Plan.Descriptions : null,
        }).ToList();
        Fusion = Method.Prepare(new FusionRequest
        {
            Members = fusionMembers,
            Evidence = evidence ? opened.Select(o => o.Evidence!.ToEvidence()).ToList() : null,
            PromptText = Prompt,
            Maps = catalog.Maps,
        });
        if (Fusion.MainMember != MainIndex) AdoptReference(Fusion.MainMember);
        // members the method will never read (one-member routers) stop decoding
        var fixedWeights = Fusion.PreparedWeights.ToArray();
        if (fixedWeights.Length != _members.Count) return;
        for (var i = 0; i < _members.Count; i++)
        {
            if (fixedWeights[i] != 0 || i == MainIndex) continue;
            _members[i].Active = false;
            if (freeUnusedMembers && _members[i].Sequence is { } sequence)
            {
                _members[i].Sequence = null;
                await sequence.CloseAsync();
            }
        }
    }

    /// <summary>Fuses the members' current distributions.</summary>
    public FusedStep Fuse() => Fusion!.Fuse(_members.Select(m => m.Current!).ToList());

    /// <summary>
    /// Appends the chosen token (main vocabulary) to the text and advances every active member to it. A member whose
    /// context is full throws <see cref="ChorusException"/> of kind <see cref="ChorusErrorKind.OutOfRange"/>.
    /// </summary>
    public async Task<string> AdvanceAsync(int token, CancellationToken ct)
    {
        Fusion?.Observe(token); // online weights learn from the chosen token, before the members move on
        var piece = _decoder.Append(token);
        _completion.Append(piece);
        LastPiece = piece;
        Timings.Begin(_members.Count);
        await Task.WhenAll(_members.Select((m, i) => (m, i)).Where(x => x.m.Active).Select(async x =>
        {
            var (m, i) = x;
            var called = Stopwatch.GetTimestamp();
            // a member of another vocabulary covers its own prompt (its chat template) and the shared completion
            var step = await MemberLoss.Guard(m, () => m.SharesMainVocabulary
                ? m.Sequence!.AppendAsync(token, Requirements.TopK, ct)
                : m.Sequence!.SyncTailAsync(piece, Requirements.TopK, ct));
            Timings.Member(i, Stopwatch.GetElapsedTime(called).TotalMilliseconds, step);
            m.Current = step.Next!.ToDistribution();
            m.LastTokens = step.Decoded;
        }));
        Timings.End();
        return piece;
    }

    /// <summary>Text still held back by the UTF-8 decoder (an unfinished character), flushed at the end.</summary>
    public string FlushText()
    {
        var rest = _decoder.Flush();
        _completion.Append(rest);
        return rest;
    }

    /// <summary>Releases everything the session holds or waits for on every model it asked (bounded: a lost silo took its slots with it).</summary>
    public async ValueTask DisposeAsync()
    {
        _ended = true; // ends admission too: a session released while it still waits asks no further model
        await Task.WhenAll(_asked.ToList().Select(async g =>
        {
            // a member whose silo left took its sequences with it; calling its grain would only activate a new replica elsewhere
            var silo = _members.First(m => m.Grain.GetPrimaryKeyString() == g.GetPrimaryKeyString()).Facts.Silo;
            if (!_directory.IsActive(silo))
            {
                _logger.LogDebug("session {Session}: {Model}'s silo {Silo} has left; nothing to release there", _session, g.GetPrimaryKeyString(), silo);
                return;
            }
            try
            {
                var freed = await g.ReleaseOwner(_session).WaitAsync(TimeSpan.FromSeconds(10));
                _logger.LogDebug("session {Session}: released {Count} sequence(s) on {Model}", _session, freed, g.GetPrimaryKeyString());
            }
            catch (Exception e)
            {
                // the member's silo is gone (its sequences went with it) or slow: the idle sweep is the safety net
                _logger.LogWarning("session {Session}: could not release its sequences on {Model} ({Reason}); the idle sweep will", _session, g.GetPrimaryKeyString(), e.Message);
            }
        }));
    }

    // The method fuses in another member's vocabulary: its tokens are appended by id to the members that share it and
    // synced as text to the others (the main member among them); nothing was generated yet, so the decoder starts fresh.
    private void AdoptReference(int reference)
    {
        MainIndex = reference;
        _decoder = new Utf8TokenDecoder(Main.Vocabulary);
        foreach (var m in _members) m.SharesMainVocabulary = m.Facts.VocabularyHash == Main.Facts.VocabularyHash;
    }

    private void CheckVocabularies()
    {
        foreach (var m in _members) m.SharesMainVocabulary = m.Facts.VocabularyHash == Main.Facts.VocabularyHash;
        if (!Requirements.AllowsDifferentVocabularies && _members.Any(m => !m.SharesMainVocabulary))
            throw new ChorusException(ChorusErrorKind.FailedPrecondition,
                $"method '{Method.Name}' needs every member to share one vocabulary, but {string.Join(", ", _members.Where(m => !m.SharesMainVocabulary).Select(m => $"'{m.Name}' ({m.Facts.VocabularySize} tokens, {m.Facts.VocabularyKind})"))} differ from main '{Main.Name}'; use unite, deepen, packllm-sim or packllm-opt for mixed vocabularies");
    }

    // Spread sessions over a model's replicas by session id.
    private static string ReplicaKey(string model, Guid session, ClusterModelDirectory directory)
    {
        var replicas = directory.Replicas(model);
        if (replicas <= 1) return model;
        var r = (int)((uint)session.GetHashCode() % (uint)replicas);
        return r == 0 ? model : $"{model}/{r}";
    }
}
