using Chorus.Fusion;
using Xunit.Abstractions;

namespace Chorus.Fusion.Tests.Methods;

/// <summary>
/// dlf with several experts against a brute-force search of the paper's joint objective over the α grid
/// (0, 0.1, …, 2), computed independently in double precision. Figures are printed
/// (run with --logger "console;verbosity=detailed") and recorded in docs/quality.md.
/// </summary>
public class DynamicLogitFusionJointTests(ITestOutputHelper output)
{
    private const int Tokens = 32;
    private const int Trials = 200;
    private static readonly InMemoryVocabulary V = TestData.Vocabulary(Tokens);
    private static readonly double[] Grid = Enumerable.Range(0, 21).Select(g => g * 0.1).ToArray();

    [Fact]
    public void Two_experts_the_joint_search_equals_brute_force_over_the_grid()
    {
        var random = new Random(20260);
        var (exact, ties, oldExact) = (0, 0, 0);
        var (oldDistance, oldGap) = (0.0, 0.0);
        for (var trial = 0; trial < Trials; trial++)
        {
            var large = Logits(random, 2);
            var small = Logits(random, 2);
            var experts = new[] { Shifted(random, small, 0.2 + 2 * random.NextDouble()), Shifted(random, small, 0.2 + 2 * random.NextDouble()) };
            var problem = new Problem(large, small, experts);
            var (brute, bruteObjective) = problem.BruteForce();
            var picked = Run(large, small, experts);
            var old = problem.OldRulePoint();
            if (Same(brute, old)) oldExact++;
            oldDistance += brute.Zip(old).Sum(p => Math.Abs(p.First - p.Second)) / Trials;
            oldGap += (problem.Objective(old) - bruteObjective) / Trials;
            if (Same(brute, picked)) exact++;
            else
            {
                Assert.True(Math.Abs(problem.Objective(picked) - bruteObjective) < 1e-7,
                    $"trial {trial}: dlf picked ({string.Join(", ", picked)}), objective {problem.Objective(picked):G6}; brute force ({string.Join(", ", brute)}), {bruteObjective:G6}");
                ties++;
            }
        }
        output.WriteLine($"2 experts, {Trials} trials: same α as brute force in {exact}, an equal-objective tie (|Δ| < 1e-7) in {ties}; "
            + $"the old one-expert rule: same α in {oldExact}, mean Σ|α_old − α_brute| {oldDistance:F3}, mean joint-objective excess {oldGap:G3}");
    }

    [Fact]
    public void A_strongly_shifting_expert_is_applied_next_to_a_tiny_shift_as_brute_force_says()
    {
        var random = new Random(171);
        var (oldTiny, strongLarger, tinyLarger, equal, strongUsed) = (0, 0, 0, 0, 0);
        for (var trial = 0; trial < Trials; trial++)
        {
            var large = Logits(random, 2);
            var small = Logits(random, 2);
            var strong = Shifted(random, small, 2);
            var tiny = Shifted(random, small, 0.05);
            var problem = new Problem(large, small, [strong, tiny]);
            var (brute, bruteObjective) = problem.BruteForce();
            var picked = Run(large, small, [strong, tiny]);
            Assert.True(Same(brute, picked) || Math.Abs(problem.Objective(picked) - bruteObjective) < 1e-7,
                $"trial {trial}: dlf picked ({string.Join(", ", picked)}); brute force ({string.Join(", ", brute)})");
            if (problem.OldRuleExpert() == 1) oldTiny++;
            if (picked[0] > 0) strongUsed++;
            if (picked[0] > picked[1] + 1e-6) strongLarger++;
            else if (picked[1] > picked[0] + 1e-6) tinyLarger++;
            else equal++;
        }
        output.WriteLine($"strong vs tiny, {Trials} trials: the old one-expert rule picked the tiny expert in {oldTiny}; "
            + $"joint: strong α larger in {strongLarger}, tiny α larger in {tinyLarger}, equal in {equal}; strong α > 0 in {strongUsed}");
        Assert.Equal(Trials, strongUsed);
    }

    [Fact]
    public void Three_experts_the_local_search_stays_near_the_brute_force_optimum()
    {
        var random = new Random(3);
        var (optimal, regret, worseThanOld) = (0, 0.0, 0);
        var gaps = new List<double>();
        for (var trial = 0; trial < Trials; trial++)
        {
            var large = Logits(random, 2);
            var small = Logits(random, 2);
            var experts = Enumerable.Range(0, 3).Select(_ => Shifted(random, small, 0.05 + 2 * random.NextDouble())).ToArray();
            var problem = new Problem(large, small, experts);
            var (_, bruteObjective) = problem.BruteForce();
            var picked = Run(large, small, experts);
            var objective = problem.Objective(picked);
            Assert.True(objective >= bruteObjective - 1e-7, "brute force is the grid minimum");
            if (objective - bruteObjective < 1e-7) optimal++;
            regret = Math.Max(regret, objective - bruteObjective);
            gaps.Add(objective - bruteObjective);
            if (objective > problem.OldRuleObjective() + 1e-7) worseThanOld++;
        }
        var rate = (double)optimal / Trials;
        output.WriteLine($"3 experts, {Trials} trials: local search reached the brute-force objective in {optimal} ({rate:P1}); largest objective gap {regret:G3}, median {gaps.Order().ElementAt(Trials / 2):G3}; worse than the one-expert rule in {worseThanOld}");
        Assert.Equal(0, worseThanOld);
        Assert.True(rate >= 0.6, $"agreement {rate:P1}");
        Assert.True(regret < 1e-4, $"largest objective gap {regret:G3}");
    }

    [Fact]
    public void One_expert_reports_its_alpha_as_before()
    {
        var random = new Random(1);
        for (var trial = 0; trial < 50; trial++)
        {
            var large = Logits(random, 2);
            var small = Logits(random, 2);
            var expert = Shifted(random, small, 1.5);
            var problem = new Problem(large, small, [expert]);
            var (brute, _) = problem.BruteForce();
            var members = new[] { TestData.Member(V, MemberRole.Main), TestData.Member(V, MemberRole.Expert), TestData.Member(V, MemberRole.Base) };
            var step = TestData.Prepare("dlf", members).Fuse([TestData.Full(large), TestData.Full(expert), TestData.Full(small)]);
            Assert.Equal(brute[0], step.Alpha, 4);
            Assert.Equal(step.Alpha, step.MemberWeights[1]);
            Assert.Equal(1, step.ChosenMember);
        }
    }

    private static double[] Run(double[] large, double[] small, double[][] experts)
    {
        var members = new List<FusionMember> { TestData.Member(V, MemberRole.Main) };
        var distributions = new List<TokenDistribution> { TestData.Full(large) };
        for (var i = 0; i < experts.Length; i++)
        {
            members.Add(TestData.Member(V, MemberRole.Expert, $"expert{i}"));
            distributions.Add(TestData.Full(experts[i]));
        }
        members.Add(TestData.Member(V, MemberRole.Base));
        distributions.Add(TestData.Full(small));
        var step = TestData.Prepare("dlf", members).Fuse(distributions);
        var alphas = new double[experts.Length];
        for (var i = 0; i < experts.Length; i++) alphas[i] = step.MemberWeights[i + 1];
        Assert.Equal(-alphas.Sum(), step.MemberWeights[^1], 4);
        Assert.Equal(alphas.Sum(), step.Alpha, 4);
        return alphas;
    }

    private static bool Same(double[] a, double[] b) => a.Zip(b).All(p => Math.Abs(p.First - p.Second) < 1e-4);

    private static double[] Logits(Random random, double scale) => Array.ConvertAll(TestData.RandomLogits(random, Tokens, scale), x => (double)x);

    // An expert tuned from the small base: its logits moved by up to ±scale per token.
    private static double[] Shifted(Random random, double[] small, double scale) =>
        small.Select(z => z + (random.NextDouble() * 2 - 1) * scale).ToArray();

    // The joint objective in double precision, plain loops.
    private sealed class Problem
    {
        private readonly double[] _large;
        private readonly double[][] _shifts;
        private readonly double[] _targets;

        public Problem(double[] large, double[] small, double[][] experts)
        {
            _large = LogSoftmax(large);
            var ls = LogSoftmax(small);
            _shifts = experts.Select(e => LogSoftmax(e).Select((x, t) => x - ls[t]).ToArray()).ToArray();
            _targets = experts.Select((e, i) => TestData.Softmax(e).Select((p, t) => p * _shifts[i][t]).Sum()).ToArray();
        }

        public double Objective(double[] alphas)
        {
            var fused = LogSoftmax(_large.Select((z, t) => z + alphas.Select((a, i) => a * _shifts[i][t]).Sum()).ToArray());
            var kl = fused.Select((lf, t) => Math.Exp(lf) * (lf - _large[t])).Sum();
            return _targets.Select(target => (kl - target) * (kl - target)).Sum();
        }

        // Lexicographic over the grid product, first expert outermost; ties keep the earlier point.
        public (double[] Alphas, double Objective) BruteForce()
        {
            var n = _shifts.Length;
            var index = new int[n];
            double[] best = new double[n];
            var bestObjective = double.PositiveInfinity;
            while (true)
            {
                var alphas = index.Select(g => Grid[g]).ToArray();
                var objective = Objective(alphas);
                if (objective < bestObjective) (best, bestObjective) = (alphas, objective);
                var k = n - 1;
                while (k >= 0 && ++index[k] == Grid.Length) index[k--] = 0;
                if (k < 0) return (best, bestObjective);
            }
        }

        // The paper's one-expert-per-step shortcut (what dlf did before): each expert's own best α, lowest own objective.
        public int OldRuleExpert() => OldRule().Expert;

        // That rule's point: its expert at its α, every other expert at 0.
        public double[] OldRulePoint()
        {
            var (expert, alpha) = OldRule();
            var alphas = new double[_shifts.Length];
            alphas[expert] = alpha;
            return alphas;
        }

        public double OldRuleObjective() => Objective(OldRulePoint());

        private (int Expert, double Alpha) OldRule()
        {
            var (bestExpert, bestAlpha, bestObjective) = (0, 0.0, double.PositiveInfinity);
            for (var i = 0; i < _shifts.Length; i++)
            {
                var alone = new Problem(_large, _shifts[i], _targets[i]);
                foreach (var a in Grid)
                {
                    var objective = alone.Objective([a]);
                    if (objective < bestObjective) (bestExpert, bestAlpha, bestObjective) = (i, a, objective);
                }
            }
            return (bestExpert, bestAlpha);
        }

        private Problem(double[] largeLogProbs, double[] shift, double target)
        {
            _large = largeLogProbs;
            _shifts = [shift];
            _targets = [target];
        }

        private static double[] LogSoftmax(double[] z)
        {
            var max = z.Max();
            var lse = max + Math.Log(z.Sum(x => Math.Exp(x - max)));
            return z.Select(x => x - lse).ToArray();
        }
    }
}
