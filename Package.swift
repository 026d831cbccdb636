// swift-tools-version:6.0
// MUT: multicast to unicast translation for IPTV over Wi-Fi, in user space.
// Layers: MUTCore (pure, no syscalls) ← MUTLinux (syscall shells) ← mutd / mutctl.
import PackageDescription

let package = Package(
    name: "mut",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mutd", targets: ["mutd"]),
        .executable(name: "mutctl", targets: ["mutctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
    ],
    targets: [
        // libnetfilter_queue (GPL-2.0) + libmnl, linked through pkg-config.
        .systemLibrary(
            name: "CNetfilterQueue",
            pkgConfig: "libnetfilter_queue",
            providers: [.apt(["libnetfilter-queue-dev", "libmnl-dev", "libnfnetlink-dev"])]
        ),
        // Tiny C shims for what Swift's Glibc module does not expose (sendmmsg, BPF, rtnetlink structs).
        .target(name: "CMutLinux"),
        .target(name: "MUTCore"),
        .target(
            name: "MUTLinux",
            dependencies: [
                "MUTCore", "CNetfilterQueue", "CMutLinux",
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),
        .executableTarget(
            name: "mutd",
            dependencies: [
                "MUTCore", "MUTLinux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "mutctl",
            dependencies: [
                "MUTCore", "MUTLinux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "MUTCoreTests", dependencies: ["MUTCore"]),
        .testTarget(name: "MUTLinuxTests", dependencies: ["MUTCore", "MUTLinux"]),
    ]
)
