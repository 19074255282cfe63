using System.Net;
using System.Net.Sockets;

namespace Chorus.Client.Cluster;

/// <summary>Loopback ports nothing listens on right now (the OS picks them), for an in-process silo.</summary>
public static class FreePorts
{
    /// <summary>Distinct free ports; all are held open together while picking so that none repeats.</summary>
    public static int[] Take(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var l = new TcpListener(IPAddress.Loopback, 0);
                l.Start();
                listeners.Add(l);
            }
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var l in listeners) l.Stop();
        }
    }
}
