using System.Xml.Linq;
using FeedSync.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace FeedSync.Dashboard;

/// <summary>
/// The Data Protection key ring in FeedSync's state database (<c>feedsync.dataprotection_keys</c>): a sign-in cookie
/// issued by one instance is accepted by every other instance on the same database, and after a restart. Keys are
/// only ever added; Data Protection itself decides which one is current and when to roll a new one.
/// </summary>
internal sealed class StateKeyRing(Databases databases) : IXmlRepository
{
    /// <summary>Fixed, so instances installed in different directories share keys (the default discriminator is the content root).</summary>
    public const string ApplicationName = "FeedSync";

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var command = databases.State.CreateCommand("SELECT xml FROM feedsync.dataprotection_keys ORDER BY id");
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
        {
            elements.Add(XElement.Parse(reader.GetString(0)));
        }

        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        // Two instances never store the same key (names are key ids), but a retried call must not fail.
        using var command = databases.State.CreateCommand(
            "INSERT INTO feedsync.dataprotection_keys (friendly_name, xml) VALUES (@name, @xml) ON CONFLICT (friendly_name) DO NOTHING");
        command.Parameters.AddWithValue("name", friendlyName);
        command.Parameters.AddWithValue("xml", element.ToString(SaveOptions.DisableFormatting));
        command.ExecuteNonQuery();
    }
}

internal static class StateKeyRingSetup
{
    public static IServiceCollection AddStateKeyRing(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName(StateKeyRing.ApplicationName);
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(options => options.XmlRepository = new StateKeyRing(sp.GetRequiredService<Databases>())));
        return services;
    }
}
