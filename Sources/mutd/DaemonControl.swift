import MUTCore
import MUTLinux

/// Control socket requests: reports are read from the control plane and the data plane's
/// counters; changes go to the control plane, whose effects are carried out at once.
extension Daemon: ControlHandler {
    func handle(_ request: ControlRequest, peer: PeerCredentials) -> ControlResponse {
        let now = Syscall.monotonicSeconds()
        switch request {
        case .status: return .status(statusReport(now: now))
        case .groups: return .groups(groupsReport(now: now))
        case .metrics: return .metrics(statusReport(now: now), groupsReport(now: now), perClient: metricsPerClient)
        case .enable, .disable, .add, .del:
            let response = core.request(request, uid: peer.uid, now: now)
            perform(core.takeEffects())
            return response
        }
    }

    /// The exposition the HTTP `/metrics` endpoint serves: the same as `mutctl metrics`.
    func metricsExposition() -> String {
        let now = Syscall.monotonicSeconds()
        return MetricsExposition.render(status: statusReport(now: now), groups: groupsReport(now: now),
                                        perClient: metricsPerClient)
    }

    private func statusReport(now: Double) -> StatusReport {
        let config = core.config
        var report = StatusReport(version: Mutd.version, enabled: config.enabled, interfaces: config.interfaces,
                                  queues: config.queues.map(Int.init), uptimeSeconds: Int64(now - startedAt))
        report.fill(from: counters)
        core.fill(&report, now: now)
        if let text = Syscall.readTextFile("/proc/net/netfilter/nfnetlink_queue") {
            report.queueDrops = QueueStatistics.parse(text).filter { config.queues.contains($0.queue) }.reduce(0) { $0 &+ $1.drops }
        }
        report.groups = table.load().routes.values.filter { $0.bridge == nil }.count  // a port's routes repeat its bridge's
        return report
    }

    private func groupsReport(now: Double) -> GroupsReport {
        let radioIndexes = Set(core.airtime.states.keys.map(\.apInterfaceIndex))
        let radioNames = Dictionary(uniqueKeysWithValues: radioIndexes.compactMap { index in
            Syscall.interfaceName(index: index).map { (index, $0) }
        })
        var report = GroupsReport(table: table.load(), memberships: core.memberships, radios: core.radios,
                                  airtime: core.airtime.states, radioNames: radioNames, now: now)
        report.ended = core.recentlyEnded(now: now)
        return report
    }
}
