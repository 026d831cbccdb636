import Testing
@testable import MUTCore

@Suite struct ConfigFileTests {
    @Test func parsesEveryKey() throws {
        let file = try ConfigFile.parse("""
            # LAN side
            interface = br-lan
            interface=wlan1   # second radio
            queue = 0-1
            socket = /run/mutd/mutd.sock
            socket-group = mut
            max-clients = 8
            static = 239.1.1.1,192.168.1.20,br-lan
            static = 239.1.1.2,192.168.1.21,wlan1
            disabled = no
            log-level = debug
            igmp-query-interval = 30

            """)
        #expect(file.interfaces == ["br-lan", "wlan1"])
        #expect(file.queue == "0-1")
        #expect(file.socket == "/run/mutd/mutd.sock")
        #expect(file.socketGroup == "mut")
        #expect(file.maxClients == 8)
        #expect(file.staticSubscribers.map(\.description) == ["239.1.1.1,192.168.1.20,br-lan", "239.1.1.2,192.168.1.21,wlan1"])
        #expect(file.disabled == false)
        #expect(file.logLevel == "debug")
        #expect(file.extra["igmp-query-interval"] == "30")
    }

    @Test(arguments: [
        ("interface br-lan", "line 1: expected 'key = value'"),
        ("colour = blue", "line 1: unknown key 'colour'"),
        ("queue = 1\nqueue = 2", "line 2: 'queue' is given twice"),
        ("max-clients = zero", "line 1: max-clients 'zero' is not a number"),
        ("\n\nstatic = 10.0.0.1,10.0.0.2", "line 3: static subscriber"),
        ("disabled = maybe", "line 1: disabled 'maybe' is not yes/no"),
        ("socket =", "line 1: 'socket' has no value"),
    ])
    func namesTheBadLine(text: String, message: String) {
        #expect {
            try ConfigFile.parse(text, name: "mutd.conf")
        } throws: { error in
            (error as? ConfigError)?.description.contains("mutd.conf " + message) == true
        }
    }
}

@Suite struct ConfigCombiningTests {
    @Test func commandLineAddsToAndOverridesTheFile() throws {
        let file = try ConfigFile.parse("interface = lan0\nqueue = 3\nstatic = 239.1.1.1,10.0.0.5,lan0\nmax-clients = 4\n")
        var flags = ConfigFile()
        flags.interfaces = ["lan0", "wlan0"]
        flags.queue = "5-6"
        flags.staticSubscribers = [try StaticSubscriber(parsing: "239.1.1.2,10.0.0.6,wlan0")]
        let (config, merged) = try DaemonConfig.combining(file: file, flags: flags)
        #expect(config.interfaces == ["lan0", "wlan0"])
        #expect(config.queues == [5, 6])
        #expect(config.maxClients == 4)
        #expect(config.staticSubscribers.count == 2)
        #expect(merged.queue == "5-6")
        #expect(config.enabled)
    }

    @Test func withoutAFileTheFlagsAlone() throws {
        var flags = ConfigFile()
        flags.interfaces = ["lan0"]
        flags.disabled = true
        let (config, _) = try DaemonConfig.combining(file: nil, flags: flags)
        #expect(config.queues == [0])
        #expect(config.enabled == false)
        #expect(config.socketPath == DaemonConfig.defaultSocketPath)
    }

    @Test func theStationPollIntervalDefaultsToTwoSecondsAndZeroTurnsItOff() throws {
        var flags = ConfigFile()
        flags.interfaces = ["lan0"]
        #expect(try DaemonConfig.combining(file: nil, flags: flags).0.stationPollInterval == 2)
        let off = try ConfigFile.parse("interface = lan0\nstation-poll-interval = 0\n")
        #expect(try DaemonConfig.combining(file: off, flags: ConfigFile()).0.stationPollInterval == 0)
        flags.extra["station-poll-interval"] = "0.5"
        #expect(try DaemonConfig.combining(file: off, flags: flags).0.stationPollInterval == 0.5)
        flags.extra["station-poll-interval"] = "-1"
        #expect(throws: ConfigError.self) { try DaemonConfig.combining(file: nil, flags: flags) }
    }
}
