using Chorus.Api;
using Chorus.Contracts;

namespace Chorus.Silo.Services;

/// <summary>CheckPack's wire messages ↔ the grain's records.</summary>
internal static class PackCheckMapping
{
    public static PackCheckRequest ToRequest(CheckPackRequest r) => new(
        new MemberSelection(string.IsNullOrEmpty(r.Members?.Pack) ? null : r.Members.Pack, r.Members?.Models.ToArray() ?? []),
        string.IsNullOrEmpty(r.Text) ? null : r.Text,
        r.TaskScores.Count > 0 ? [.. r.TaskScores] : null,
        r.ResponseLengths.Count > 0 ? [.. r.ResponseLengths] : null);

    public static CheckPackReply ToReply(PackCheckResult r)
    {
        var reply = new CheckPackReply { MainModel = r.MainModel, BaseMember = r.BaseMember, CanEnsemble = r.CanEnsemble, Verdict = r.Verdict };
        reply.Members.AddRange(r.Members.Select(m => new Api.MemberCheck
        {
            Model = m.Model, VocabularySize = m.VocabularySize, VocabularyHash = m.VocabularyHash, VocabularyOverlap = m.VocabularyOverlap,
            Exact = m.Exact, Marker = m.Marker, EditDistance = m.EditDistance, Special = m.Special,
            ExactShare = m.ExactShare, MarkerShare = m.MarkerShare, EditDistanceShare = m.EditDistanceShare,
            BitsPerByte = m.BitsPerByte, Bytes = m.Bytes, Compatible = m.Compatible, ExcludedReason = m.ExcludedReason ?? "",
        }));
        return reply;
    }
}
