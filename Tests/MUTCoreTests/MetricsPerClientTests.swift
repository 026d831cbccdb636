#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import MUTCore

/// `sampleGroups()` with radio samples for the Wi-Fi client 192.168.1.10.
func sampleGroupsWithRadio() -> GroupsReport {
    var report = sampleGroups()
    let radio = StationRadio(mac: MACAddress("02:00:00:00:00:0a")!, apInterfaceIndex: 4, txBitrateKbps: 65_000, txPackets: 1200,
                             txRetries: 37, txFailed: 2, signalDBm: -52, inactiveMilliseconds: 1500, sampledAt: 10)
    report.groups[report.groups.firstIndex { $0.interface == "wlan0" }!].clients[0].radio = radio
    return report
}

@Suite struct MetricsPerClientTests {
    @Test func defaultOutputHasNoClientSeries() throws {
        let text = MetricsExposition.render(status: sampleStatus(), groups: sampleGroupsWithRadio())
        #expect(!text.contains("mut_client_"))
        #expect(text == MetricsExposition.render(status: sampleStatus(), groups: sampleGroupsWithRadio(), perClient: false))
    }

    @Test func perClientSeriesCarryCopiesErrorsAndRadio() throws {
        let text = MetricsExposition.render(status: sampleStatus(), groups: sampleGroupsWithRadio(), perClient: true)
        let samples = try ExpositionChecker.check(text)
        let wifi = "interface=wlan0,group=239.1.1.1,client=192.168.1.10,mac=02:00:00:00:00:0a"
        let wired = "interface=wlan0,group=239.1.1.1,client=192.168.1.11,mac=02:00:00:00:00:0b"
        let unknown = "interface=lan0,group=232.2.2.2,client=10.1.0.3,mac=unknown"
        #expect(samples["mut_client_copies_total{\(wifi)}"] == 900)
        #expect(samples["mut_client_send_errors_total{\(wired)}"] == 2)
        #expect(samples["mut_client_copies_total{\(unknown)}"] == 0)
        #expect(samples["mut_client_tx_bitrate_bits_per_second{\(wifi)}"] == 65_000_000)
        #expect(samples["mut_client_tx_retries_total{\(wifi)}"] == 37)
        #expect(samples["mut_client_tx_failed_total{\(wifi)}"] == 2)
        #expect(samples["mut_client_signal_dbm{\(wifi)}"] == -52)
        #expect(samples["mut_client_inactive_seconds{\(wifi)}"] == 1.5)
        // Radio families only for the client the access point reports on.
        #expect(samples["mut_client_signal_dbm{\(wired)}"] == nil)
        #expect(samples.keys.filter { $0.hasPrefix("mut_client_tx_bitrate") }.count == 1)
        #expect(samples["mut_client_series_omitted"] == 0)
        #expect(samples["mut_client_series_limit"] == Double(MetricsExposition.maximumClientSeries))
    }

    @Test func withoutRadioTheRadioFamiliesAreLeftOut() throws {
        let samples = try ExpositionChecker.check(MetricsExposition.render(status: sampleStatus(), groups: sampleGroups(), perClient: true))
        #expect(samples.keys.contains { $0.hasPrefix("mut_client_copies_total{") })
        #expect(!samples.keys.contains { $0.hasPrefix("mut_client_signal_dbm") || $0.hasPrefix("mut_client_tx_") })
    }

    @Test func seriesAreCappedAndTheRestCounted() throws {
        let total = MetricsExposition.maximumClientSeries + 88
        var clients: [ClientReport] = []
        for i in 0..<total {
            let third = UInt8(i / 250)
            let fourth = UInt8(1 + i % 250)
            clients.append(ClientReport(ip: .v4(IPv4Address(10, 0, third, fourth)), mac: nil, via: "igmp", copies: UInt64(i)))
        }
        let groups = GroupsReport(groups: [GroupReport(interface: "wlan0", group: .v4(IPv4Address(239, 9, 9, 9)), mode: .translating, clients: clients)])
        let samples = try ExpositionChecker.check(MetricsExposition.render(status: sampleStatus(), groups: groups, perClient: true))
        #expect(samples.keys.filter { $0.hasPrefix("mut_client_copies_total{") }.count == MetricsExposition.maximumClientSeries)
        #expect(samples["mut_client_series_omitted"] == 88)
        // The lowest addresses are kept, the same ones every scrape.
        #expect(samples["mut_client_copies_total{interface=wlan0,group=239.9.9.9,client=10.0.0.1,mac=unknown}"] == 0)
        #expect(samples["mut_client_copies_total{interface=wlan0,group=239.9.9.9,client=10.0.2.12,mac=unknown}"] == 511)
        #expect(samples["mut_client_copies_total{interface=wlan0,group=239.9.9.9,client=10.0.2.13,mac=unknown}"] == nil)
    }

    @Test func aBridgePortEntryAddsToItsBridgesClientRatherThanRepeatingIt() throws {
        let client = IPv4Address(10, 0, 0, 7)
        var port = GroupReport(interface: "br0", group: .v4(IPv4Address(239, 1, 1, 1)), mode: .translating,
                               clients: [ClientReport(ip: .v4(client), mac: MACAddress("02:00:00:00:00:07"), via: "igmp", copies: 40, sendErrors: 1)])
        port.bridgePort = "wlan0"
        let bridge = GroupReport(interface: "br0", group: .v4(IPv4Address(239, 1, 1, 1)), mode: .translating,
                                 clients: [ClientReport(ip: .v4(client), mac: MACAddress("02:00:00:00:00:07"), via: "igmp", copies: 2)])
        let samples = try ExpositionChecker.check(
            MetricsExposition.render(status: sampleStatus(), groups: GroupsReport(groups: [port, bridge]), perClient: true))
        let labels = "interface=br0,group=239.1.1.1,client=10.0.0.7,mac=02:00:00:00:00:07"
        #expect(samples["mut_client_copies_total{\(labels)}"] == 42)
        #expect(samples["mut_client_send_errors_total{\(labels)}"] == 1)
        #expect(samples.keys.filter { $0.hasPrefix("mut_client_copies_total{") }.count == 1)
    }

    @Test func controlResponseRendersPerClientWhenAsked() throws {
        let on = ControlResponse.metrics(sampleStatus(), sampleGroupsWithRadio(), perClient: true).json["exposition"]?.stringValue ?? ""
        let off = ControlResponse.metrics(sampleStatus(), sampleGroupsWithRadio()).json["exposition"]?.stringValue ?? ""
        #expect(on.contains("mut_client_copies_total{"))
        #expect(!off.contains("mut_client_"))
    }

    /// Tests/shell/metrics-sample-per-client.prom (checked by metrics-check.sh with the reference
    /// parser, and by the Grafana dashboard test) must stay what the renderer produces.
    @Test func perClientSampleFileMatchesTheRenderer() throws {
        let expected = MetricsExposition.render(status: sampleStatus(), groups: sampleGroupsWithRadio(), perClient: true)
        let path = "Tests/shell/metrics-sample-per-client.prom"
        if getenv("MUT_REGENERATE_SAMPLES") != nil, let file = fopen(repositoryRoot + "/" + path, "w") {
            fputs(expected, file)
            fclose(file)
        }
        #expect(repositoryFile(path) == expected, "regenerate \(path)")
    }
}

@Suite struct MetricsSettingsTests {
    @Test func listenAddressesParse() throws {
        #expect(try MetricsListenAddress(parsing: "127.0.0.1:9101") == MetricsListenAddress(host: .v4(IPv4Address(127, 0, 0, 1)), port: 9101))
        #expect(try MetricsListenAddress(parsing: "[::1]:9101") == MetricsListenAddress(host: .v6(IPv6Address(high: 0, low: 1)), port: 9101))
        #expect(try MetricsListenAddress(parsing: "[::]:80").description == "[::]:80")
        #expect(try MetricsListenAddress(parsing: "0.0.0.0:65535").description == "0.0.0.0:65535")
    }

    @Test func badListenAddressesAreOneLineNamingThem() {
        for text in ["", "9101", ":9101", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:+80",
                     "localhost:9101", "::1:9101", "[::1:9101", "::1]:9101", "[]:9101", "[fe80::1%eth0]:9101", "[g::1]:9101",
                     "1.2.3:9101", "127.0.0.1:9101 "] {
            #expect(throws: ConfigError.self, "\(text)") { try MetricsListenAddress(parsing: text) }
            do { _ = try MetricsListenAddress(parsing: text) } catch {
                #expect(error.description.hasPrefix("metrics-listen '\(text)': ") && !error.description.contains("\n"))
            }
        }
    }

    @Test func configKeysAndFlagsCombine() throws {
        let file = try ConfigFile.parse("interface = lan0\nmetrics-listen = [::1]:9101\nmetrics-per-client = yes\n")
        let (config, _) = try DaemonConfig.combining(file: file, flags: ConfigFile())
        #expect(config.metrics == MetricsSettings(listen: try MetricsListenAddress(parsing: "[::1]:9101"), perClient: true))
        var flags = ConfigFile()
        flags.extra["metrics-listen"] = "127.0.0.1:9200"
        let (overridden, _) = try DaemonConfig.combining(file: file, flags: flags)
        #expect(overridden.metrics.listen?.description == "127.0.0.1:9200")
        let (plain, _) = try DaemonConfig.combining(file: try ConfigFile.parse("interface = lan0\n"), flags: ConfigFile())
        #expect(plain.metrics == MetricsSettings())
        #expect(throws: ConfigError.invalid("metrics-per-client 'maybe': expected yes or no")) {
            try DaemonConfig.combining(file: try ConfigFile.parse("interface = lan0\nmetrics-per-client = maybe\n"), flags: ConfigFile())
        }
    }
}
