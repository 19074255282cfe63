using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>A POST to the fixture's OpenAI-compatible API, with its status, headers and JSON body.</summary>
internal static class HttpApi
{
    public static async Task<(int Status, HttpResponseHeaders Headers, JsonElement Body)> PostAsync(OpenAiSiloFixture fixture, string path, object body)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        using var request = new HttpRequestMessage(HttpMethod.Post, fixture.HttpEndpoint + path)
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", OpenAiSiloFixture.ApiKey);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, response.Headers, JsonDocument.Parse(text).RootElement.Clone());
    }
}
