using System.Diagnostics;
using System.Runtime.InteropServices;
using Chorus.Llama.Native;

namespace Chorus.Llama.Training;

/// <summary>
/// Trains a loaded model's weights in place with llama.cpp's own optimizer (<c>llama_opt_init</c> / <c>llama_opt_epoch</c>).
/// Load the model with <c>UseMemoryMap = false</c> (mapped weights are read-only) and <c>RepackWeights = false</c> (to save
/// it), then <see cref="LlamaModel.Save"/> it.
/// Training runs in rounds of a few random windows so the time budget is checked often; the learning rate comes from a
/// <c>get_opt_pars</c> callback that llama.cpp calls once per optimizer step.
/// </summary>
public static unsafe class ModelTrainer
{
    /// <summary>The run whose <c>llama_opt_epoch</c> is on this thread's stack (the epoch callback carries no user data).</summary>
    [ThreadStatic] private static TrainingRun? t_current;

    /// <summary>Trains on <paramref name="trainTokens"/>; scores <paramref name="heldOutTokens"/> before and after (empty: skip).</summary>
    public static TrainingResult Train(
        LlamaModel model, int[] trainTokens, int[] heldOutTokens, TrainingOptions options,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(trainTokens);
        ArgumentNullException.ThrowIfNull(heldOutTokens);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        if (problems.Count > 0) throw new ArgumentException($"invalid training options: {string.Join("; ", problems)}", nameof(options));
        if (model.IsVocabularyOnly) throw new InvalidOperationException($"model '{model.FilePath}' was loaded vocabulary-only; load it with weights to train it");

        int? bos = model.Vocabulary.AddsBos && model.Vocabulary.Bos >= 0 ? model.Vocabulary.Bos : null;
        using var context = CreateContext(model, options.ContextSize > 0 ? options.ContextSize : model.TrainedContextLength,
            options.Threads > 0 ? options.Threads : Environment.ProcessorCount);
        // llama.cpp may pad the context; a window must be exactly n_ctx tokens
        var contextSize = (int)LlamaNative.llama_n_ctx(context);
        var train = new TrainingWindows(trainTokens, contextSize, bos);
        if (train.StartCount <= 0)
            throw new ArgumentException($"the training text has {trainTokens.Length} tokens; it needs more than one window of {contextSize}", nameof(trainTokens));
        var heldOut = new TrainingWindows(heldOutTokens, contextSize, bos);
        WarmUp(context, bos ?? 0);

        var schedule = new LearningRateSchedule(options);
        var self = GCHandle.Alloc(new OptimizerState(schedule, options));
        var result = LlamaNative.ggml_opt_result_init();
        try
        {
            var parameters = new LlamaOptParams
            {
                NCtxTrain = (uint)model.TrainedContextLength,
                ParamFilter = &TrainEveryTensor,
                GetOptimizerParams = &OptimizerParameters,
                GetOptimizerParamsUserData = (void*)GCHandle.ToIntPtr(self),
                OptimizerType = GgmlOptOptimizerType.AdamW,
            };
            LlamaNative.llama_opt_init(context, model.Handle, parameters);

            var heldOutStarts = heldOut.EvenStarts(options.HeldOutWindows);
            var lossBefore = Evaluate(context, heldOut, heldOutStarts, contextSize, result);

            var run = new TrainingRun(schedule, options, contextSize, progress);
            var random = new Random(unchecked((int)(options.Seed ^ (options.Seed >> 32))));
            schedule.Start();
            run.Clock.Start();
            while (!run.BudgetSpent)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var windows = options.MaxSteps is { } max ? Math.Min(options.WindowsPerRound, max - schedule.Step) : options.WindowsPerRound;
                var starts = new int[windows];
                for (var i = 0; i < windows; i++) starts[i] = random.Next(train.StartCount);
                LlamaNative.ggml_opt_result_reset(result);
                t_current = run;
                try
                {
                    RunEpoch(context, train, starts, contextSize, result, train: true);
                }
                finally
                {
                    t_current = null;
                }
                run.ThrowIfCallbackFailed();
                run.FinishRound(windows, ReadLoss(result));
            }
            run.Clock.Stop();
            var lossAfter = Evaluate(context, heldOut, heldOutStarts, contextSize, result);
            return new TrainingResult(schedule.Step, run.Tokens, run.Clock.Elapsed, run.LastLoss, lossBefore, lossAfter);
        }
        finally
        {
            LlamaNative.ggml_opt_result_free(result);
            self.Free();
        }
    }

    /// <summary>Mean cross-entropy (nats/token) of a model on evenly spaced windows of <paramref name="tokens"/>, through the training graph's forward pass.</summary>
    public static double HeldOutLoss(LlamaModel model, int[] tokens, int contextSize, int windows, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        int? bos = model.Vocabulary.AddsBos && model.Vocabulary.Bos >= 0 ? model.Vocabulary.Bos : null;
        using var context = CreateContext(model, contextSize, threads > 0 ? threads : Environment.ProcessorCount);
        contextSize = (int)LlamaNative.llama_n_ctx(context);
        var heldOut = new TrainingWindows(tokens, contextSize, bos);
        WarmUp(context, bos ?? 0);
        var parameters = new LlamaOptParams
        {
            NCtxTrain = (uint)model.TrainedContextLength,
            ParamFilter = &TrainEveryTensor,
            GetOptimizerParams = &DefaultOptimizerParameters,
            OptimizerType = GgmlOptOptimizerType.AdamW,
        };
        LlamaNative.llama_opt_init(context, model.Handle, parameters);
        var result = LlamaNative.ggml_opt_result_init();
        try
        {
            return Evaluate(context, heldOut, heldOut.EvenStarts(windows), contextSize, result);
        }
        finally
        {
            LlamaNative.ggml_opt_result_free(result);
        }
    }

    private static SafeLlamaContextHandle CreateContext(LlamaModel model, int contextSize, int threads)
    {
        LlamaBackend.Initialize();
        var p = LlamaNative.llama_context_default_params();
        p.NCtx = (uint)contextSize;
        p.NBatch = (uint)contextSize; // one optimizer step is one window; n_batch cannot exceed n_ctx
        p.NUbatch = (uint)contextSize;
        p.NSeqMax = 1;
        p.NThreads = threads;
        p.NThreadsBatch = threads;
        p.FlashAttnType = (int)LlamaFlashAttnType.Disabled;
        p.TypeK = GgmlType.F32; // the backward pass needs full-precision K/V
        p.TypeV = GgmlType.F32;
        p.NoPerf = true;
        using var capture = LlamaLog.BeginCapture();
        var raw = LlamaNative.llama_init_from_model(model.Handle, p);
        if (raw == 0)
            throw new LlamaException($"cannot create a training context for '{Path.GetFileName(model.FilePath)}' (context {contextSize}): " +
                capture.Reason("llama.cpp gave no reason"));
        return new SafeLlamaContextHandle(raw, model.Handle);
    }

    /// <summary>
    /// llama_opt_epoch never sets the CPU backend's thread count, llama_decode does: without this one decode, training runs
    /// with the default thread count fighting over the cores (~8× slower on 2 cores).
    /// </summary>
    private static void WarmUp(SafeLlamaContextHandle context, int token)
    {
        using var batch = new LlamaBatch(1);
        batch.Add(token, 0, 0, wantLogits: true);
        var rc = LlamaNative.llama_decode(context, batch.Native);
        if (rc != 0) throw new DecodeException(rc);
        LlamaNative.llama_memory_clear(LlamaNative.llama_get_memory(context), true);
    }

    private static double Evaluate(SafeLlamaContextHandle context, TrainingWindows windows, int[] starts, int contextSize, nint result)
    {
        if (starts.Length == 0) return double.NaN;
        LlamaNative.ggml_opt_result_reset(result);
        RunEpoch(context, windows, starts, contextSize, result, train: false);
        return ReadLoss(result);
    }

    private static void RunEpoch(SafeLlamaContextHandle context, TrainingWindows windows, int[] starts, int contextSize, nint result, bool train)
    {
        var dataset = LlamaNative.ggml_opt_dataset_init(GgmlType.I32, GgmlType.I32, contextSize, contextSize, starts.Length, 1);
        if (dataset == 0) throw new LlamaException("ggml_opt_dataset_init failed");
        try
        {
            var data = new Span<int>(LlamaNative.ggml_get_data(LlamaNative.ggml_opt_dataset_data(dataset)), contextSize * starts.Length);
            var labels = new Span<int>(LlamaNative.ggml_get_data(LlamaNative.ggml_opt_dataset_labels(dataset)), contextSize * starts.Length);
            for (var i = 0; i < starts.Length; i++)
                windows.Fill(starts[i], data.Slice(i * contextSize, contextSize), labels.Slice(i * contextSize, contextSize));
            if (train)
                LlamaNative.llama_opt_epoch(context, dataset, result, 0, starts.Length, &OnTrainBatch, &OnEvalBatch);
            else
                LlamaNative.llama_opt_epoch(context, dataset, 0, result, 0, &OnTrainBatch, &OnEvalBatch);
        }
        finally
        {
            LlamaNative.ggml_opt_dataset_free(dataset);
        }
    }

    private static double ReadLoss(nint result)
    {
        double loss, uncertainty;
        LlamaNative.ggml_opt_result_loss(result, &loss, &uncertainty);
        return loss;
    }

    [UnmanagedCallersOnly]
    private static byte TrainEveryTensor(nint tensor, void* userData) => 1;

    [UnmanagedCallersOnly]
    private static GgmlOptOptimizerParams OptimizerParameters(void* userData)
    {
        var state = (OptimizerState)GCHandle.FromIntPtr((nint)userData).Target!;
        var lr = (float)state.Schedule.Next();
        var o = state.Options;
        return new GgmlOptOptimizerParams
        {
            AdamWAlpha = lr, AdamWBeta1 = (float)o.Beta1, AdamWBeta2 = (float)o.Beta2, AdamWEps = (float)o.Epsilon,
            AdamWWeightDecay = (float)o.WeightDecay, SgdAlpha = lr, SgdWeightDecay = (float)o.WeightDecay,
        };
    }

    [UnmanagedCallersOnly]
    private static GgmlOptOptimizerParams DefaultOptimizerParameters(void* userData) => LlamaNative.ggml_opt_get_default_optimizer_params(null);

    [UnmanagedCallersOnly]
    private static void OnTrainBatch(byte train, nint optContext, nint dataset, nint result, long batch, long batchMax, long startUs)
    {
        var run = t_current;
        if (run is null || train == 0) return;
        try
        {
            run.WindowDone((int)batch, ReadLoss(result));
        }
#pragma warning disable CA1031 // an exception must not unwind through native frames; it is rethrown after the epoch
        catch (Exception e)
#pragma warning restore CA1031
        {
            run.CallbackFailure ??= e;
        }
    }

    [UnmanagedCallersOnly]
    private static void OnEvalBatch(byte train, nint optContext, nint dataset, nint result, long batch, long batchMax, long startUs)
    {
    }

    private sealed record OptimizerState(LearningRateSchedule Schedule, TrainingOptions Options);

    /// <summary>Counters and progress of one run.</summary>
    private sealed class TrainingRun(LearningRateSchedule schedule, TrainingOptions options, int contextSize, IProgress<TrainingProgress>? progress)
    {
        private int _roundStartSteps;

        public Stopwatch Clock { get; } = new();
        public long Tokens { get; private set; }
        public double LastLoss { get; private set; } = double.NaN;
        public Exception? CallbackFailure { get; set; }

        public bool BudgetSpent =>
            (options.MaxSteps is { } max && schedule.Step >= max) ||
            (options.Duration > TimeSpan.Zero && Clock.Elapsed >= options.Duration);

        public void WindowDone(int windowsInRound, double roundLoss)
        {
            LastLoss = roundLoss;
            var tokens = Tokens + (long)windowsInRound * contextSize;
            var remaining = options.Duration > TimeSpan.Zero ? options.Duration - Clock.Elapsed : TimeSpan.Zero;
            if (options.MaxSteps is { } max && schedule.Step > 0)
            {
                var bySteps = Clock.Elapsed * ((double)(max - schedule.Step) / schedule.Step);
                remaining = options.Duration > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(remaining.Ticks, bySteps.Ticks)) : bySteps;
            }
            progress?.Report(new TrainingProgress(_roundStartSteps + windowsInRound, tokens, roundLoss, schedule.Current, Clock.Elapsed,
                remaining < TimeSpan.Zero ? TimeSpan.Zero : remaining));
        }

        public void FinishRound(int windows, double loss)
        {
            Tokens += (long)windows * contextSize;
            _roundStartSteps += windows;
            LastLoss = loss;
        }

        public void ThrowIfCallbackFailed()
        {
            if (CallbackFailure is { } e) throw new InvalidOperationException($"training progress callback failed: {e.Message}", e);
        }
    }
}
