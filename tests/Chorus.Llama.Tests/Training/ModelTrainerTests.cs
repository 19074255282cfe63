using Chorus.Llama.Forge;
using Chorus.Llama.Training;

namespace Chorus.Llama.Tests.Training;

public sealed class ModelTrainerTests
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "test-models", "training");

    [Fact]
    public void AShortRunLowersHeldOutLossAndTheSavedModelKeepsIt()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var vocab = Path.Combine(Directory, "spm8k.gguf");
        VocabularyTruncator.Write("llama-spm", 8192, vocab);
        var init = Path.Combine(Directory, "tiny-init.gguf");
        SyntheticModelForge.Write(TrainingInit.Spec(vocab, layers: 1, embedding: 64, heads: 4, feedForward: 128, contextLength: 256, seed: 5), init);

        using var model = LlamaModel.Load(init, new LlamaModelOptions { UseMemoryMap = false, RepackWeights = false, GpuLayers = 0 });
        var train = model.Vocabulary.Tokenize(File.ReadAllText(Corpora.TrainSplit("shakespeare"))[..300_000]);
        var heldOut = model.Vocabulary.Tokenize(File.ReadAllText(Corpora.TestSplit("shakespeare"))[..40_000]);
        var reports = new List<TrainingProgress>();
        var options = new TrainingOptions
        {
            // the step count decides; the time cap only guards a hung run
            MaxSteps = 120, Duration = TimeSpan.FromMinutes(15), LearningRate = 1e-3, MinLearningRate = 1e-4, WarmupSteps = 10,
            HeldOutWindows = 8, Seed = 3,
        };

        var result = ModelTrainer.Train(model, train, heldOut, options, new SynchronousProgress(reports.Add));

        Assert.Equal(120, result.Steps);
        Assert.Equal(120L * 256, result.Tokens);
        Assert.InRange(result.HeldOutLossBefore, Math.Log(8192) - 0.5, Math.Log(8192) + 0.5); // an untrained model is close to uniform
        Assert.True(result.HeldOutLossAfter < result.HeldOutLossBefore - 0.5,
            $"held-out loss {result.HeldOutLossBefore:F3} → {result.HeldOutLossAfter:F3}: training did not lower it by 0.5 nats");
        Assert.Equal(120, reports[^1].Step);
        Assert.True(reports[^1].LearningRate < reports[60].LearningRate, "the cosine schedule decays");

        var saved = Path.Combine(Directory, "tiny-trained.gguf");
        model.Save(saved);
        using var reloaded = LlamaModel.Load(saved, new LlamaModelOptions { UseMemoryMap = false, GpuLayers = 0 });
        var reloadedLoss = ModelTrainer.HeldOutLoss(reloaded, heldOut, 256, 8);
        Assert.Equal(result.HeldOutLossAfter, reloadedLoss, 3);

        var quantized = Path.Combine(Directory, "tiny-trained-q8_0.gguf");
        ModelQuantizer.Quantize(saved, quantized, "q8_0");
        Assert.True(new FileInfo(quantized).Length < new FileInfo(saved).Length / 3);
    }

    [Fact]
    public void TheScheduleWarmsUpThenDecaysToTheFloor()
    {
        var schedule = new LearningRateSchedule(new TrainingOptions { LearningRate = 2e-4, MinLearningRate = 2e-5, WarmupSteps = 50 });
        Assert.Equal(2e-4 / 50, schedule.At(1, 0), 12);
        Assert.Equal(2e-4, schedule.At(50, 0), 12);
        Assert.Equal(2e-4, schedule.At(51, 0), 12);
        Assert.Equal(1.1e-4, schedule.At(500, 0.5), 12);
        Assert.Equal(2e-5, schedule.At(5000, 1), 12);
    }

    [Fact]
    public void BadOptionsAreRefusedWithEveryProblem()
    {
        var problems = new TrainingOptions { LearningRate = -1, WindowsPerRound = 0, MaxSteps = 0 }.Problems();
        Assert.Equal(4, problems.Count); // step limit, learning rate, minimum above the peak, windows per round
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
