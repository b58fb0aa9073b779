// swift-tools-version:6.1
import PackageDescription
import Foundation

// The numeric kernels need the compiler to target the CPU's vector unit: without it Swift emits
// SSE2 and `addingProduct` turns into one libm call per lane (about 3x slower GEMM). Like
// `-march=native`, the manifest reads the build machine's CPU flags and picks the widest ISA the
// kernels have: AVX-512 (16-lane micro-kernel), else AVX2+FMA (8-lane), else the baseline.
// arm64 has NEON and FMA in its baseline and needs nothing. `-cross-module-optimization` lets
// the CLI and tests specialize the generic tensor code for Float instead of running it through
// runtime generics (10× slower element loops).
//   GRADLAB_ISA=avx512|avx2|portable   overrides the detection (e.g. to build for another machine);
//   GRADLAB_ISA=portable               is also what a package depending on GradLab by version
//                                      needs, as SwiftPM refuses unsafe flags in such dependencies.
func detectISA() -> String {
    if let forced = Context.environment["GRADLAB_ISA"] { return forced }
    #if arch(x86_64)
    #if os(Linux)
    let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let flags = Set(info.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
    if ["avx512f", "avx512bw", "avx512dq", "avx512vl", "fma"].allSatisfy(flags.contains) { return "avx512" }
    if ["avx2", "fma"].allSatisfy(flags.contains) { return "avx2" }
    return "portable"
    #else
    return "avx2"   // every Intel Mac since 2013 has AVX2+FMA
    #endif
    #else
    return "portable"
    #endif
}
let isa = detectISA()
let cpuFlags: [SwiftSetting] = switch isa {
case "avx512": [.unsafeFlags(["-target-cpu", "skylake-avx512", "-cross-module-optimization"]), .define("GRADLAB_AVX512"), .define("GRADLAB_AVX2")]
case "avx2": [.unsafeFlags(["-target-cpu", "haswell", "-cross-module-optimization"]), .define("GRADLAB_AVX2")]
default: []
}
// The C helpers (vector shuffles for the GEMM's packing) target the same ISA.
let cCPUFlags: [CSetting] = switch isa {
case "avx512": [.unsafeFlags(["-march=skylake-avx512"])]
case "avx2": [.unsafeFlags(["-march=haswell"])]
default: []
}

// The PostgreSQL trait's dependencies (the store module's only).
let postgres: [Target.Dependency] = [
    .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgreSQL"])),
    .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["PostgreSQL"])),
    .product(name: "NIOPosix", package: "swift-nio", condition: .when(traits: ["PostgreSQL"])),
    .product(name: "NIOSSL", package: "swift-nio-ssl", condition: .when(traits: ["PostgreSQL"])),
    .product(name: "Logging", package: "swift-log", condition: .when(traits: ["PostgreSQL"])),
]
let storeDependencies: [Target.Dependency] = ["GradLab", "GradLabDiagnostics", .product(name: "GRDB", package: "GRDB.swift")] + postgres

let package = Package(
    name: "GradLab",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "GradLab", targets: ["GradLab"]),
        .library(name: "GradLabDiagnostics", targets: ["GradLabDiagnostics"]),
        .library(name: "GradLabTheory", targets: ["GradLabTheory"]),
        .library(name: "GradLabStudy", targets: ["GradLabStudy"]),
        .executable(name: "gradlab", targets: ["gradlab"]),
        // The web lab is its own product: its server stack (SwiftNIO, Hummingbird) would add minutes
        // to the demo's first build. `gradlab serve` starts it when it has been built.
        .executable(name: "gradlab-server", targets: ["gradlab-server"]),
    ],
    // The PostgreSQL run store and work queue (sweeps across machines) bring SwiftNIO, TLS and
    // postgres-nio: minutes of first build the demo does not need, so they are opt-in.
    //   swift build -c release --traits PostgreSQL
    traits: [.trait(name: "PostgreSQL", description: "The PostgreSQL run store and sweep work queue (gradlab worker, sweep, --store postgres://…).")],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .target(name: "CGradLabSupport", cSettings: cCPUFlags),
        .target(
            name: "GradLab",
            dependencies: ["CGradLabSupport", .product(name: "Numerics", package: "swift-numerics")],
            resources: [.copy("Resources/digits")],
            swiftSettings: cpuFlags),
        // The module order: core ← theory ← diagnostics ← {store, reports, experiments} ← kit ← CLI.
        .target(
            name: "GradLabTheory",
            dependencies: ["GradLab"],
            swiftSettings: cpuFlags),
        .target(
            name: "GradLabDiagnostics",
            dependencies: ["GradLab", "GradLabTheory"],
            swiftSettings: cpuFlags),
        .target(
            name: "GradLabExperiments",
            dependencies: ["GradLab", "GradLabTheory", "GradLabDiagnostics", .product(name: "Yams", package: "Yams")],
            swiftSettings: cpuFlags),
        .target(
            name: "GradLabReports",
            dependencies: ["GradLab", "GradLabTheory", "GradLabDiagnostics"],
            swiftSettings: cpuFlags),
        .target(
            name: "GradLabStore",
            dependencies: storeDependencies),
        // The composition layer: one function per command, joining the modules above.
        .target(
            name: "GradLabKit",
            dependencies: ["GradLab", "GradLabTheory", "GradLabDiagnostics", "GradLabReports", "GradLabExperiments", "GradLabStore"],
            swiftSettings: cpuFlags),
        // Study mode: decks, schedulers, the review store, quizzes and experiment-backed answers.
        .target(
            name: "GradLabStudy",
            dependencies: ["GradLab", "GradLabTheory", "GradLabDiagnostics", "GradLabReports", "GradLabKit",
                           .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Yams", package: "Yams"),
                           .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            resources: [.copy("Resources/decks")],
            // Testable in release too: its tests reach internals (the parser's reader, Anki's note types).
            swiftSettings: cpuFlags + [.unsafeFlags(["-enable-testing"])]),
        // The web lab: HTTP and WebSocket routes over the engine, the run store and study mode.
        .target(
            name: "GradLabServer",
            dependencies: ["GradLab", "GradLabTheory", "GradLabDiagnostics", "GradLabReports", "GradLabStore", "GradLabKit", "GradLabStudy",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Logging", package: "swift-log")],
            resources: [.copy("Resources/web")],
            // Testable in release too: the route tests build the application without binding a port first.
            swiftSettings: cpuFlags + [.unsafeFlags(["-enable-testing"])]),
        .executableTarget(
            name: "gradlab-server",
            dependencies: ["GradLab", "GradLabServer", "GradLabStore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: cpuFlags),
        .executableTarget(
            name: "gradlab",
            dependencies: ["GradLab", "GradLabTheory", "GradLabDiagnostics", "GradLabReports", "GradLabExperiments", "GradLabStore", "GradLabKit", "GradLabStudy",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: cpuFlags),
        // Test support: a second writer process for the run store's concurrency test.
        .executableTarget(
            name: "gradlab-store-writer",
            dependencies: ["GradLab", "GradLabStore"],
            path: "Tests/StoreWriter"),
        // Test support: the throwaway PostgreSQL server the store and web lab tests share.
        .target(
            name: "GradLabTestSupport",
            dependencies: ["GradLab", "GradLabStore"],
            path: "Tests/Support"),
        .testTarget(
            name: "GradLabTests",
            dependencies: ["GradLab", "GradLabDiagnostics", "GradLabTheory", "GradLabReports", "GradLabExperiments", "GradLabStore", "GradLabKit", "GradLabTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: cpuFlags),
        .testTarget(
            name: "GradLabStudyTests",
            dependencies: ["GradLab", "GradLabStudy", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            resources: [.copy("Fixtures")],
            swiftSettings: cpuFlags),
        .testTarget(
            name: "GradLabServerTests",
            dependencies: ["GradLab", "GradLabDiagnostics", "GradLabServer", "GradLabStore", "GradLabStudy", "GradLabTestSupport",
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                           .product(name: "WSClient", package: "swift-websocket")],
            swiftSettings: cpuFlags),
    ],
    swiftLanguageModes: [.v5]
)
