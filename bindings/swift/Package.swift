// swift-tools-version:5.9
// The Assent Swift package: the generated Swift API (Generated/Sources,
// made by build-xcframework.sh, never committed) over the Rust core built as
// an XCFramework (build/AssentCoreFFI.xcframework). Build first on macOS:
//     bash build-xcframework.sh && swift test
import PackageDescription

let package = Package(
    name: "AssentCore",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "AssentCore", targets: ["AssentCore"]),
    ],
    targets: [
        .binaryTarget(
            name: "AssentCoreFFI",
            path: "build/AssentCoreFFI.xcframework"
        ),
        .target(
            name: "AssentCore",
            dependencies: ["AssentCoreFFI"],
            path: "Generated/Sources"
        ),
        .testTarget(
            name: "AssentCoreTests",
            dependencies: ["AssentCore"],
            path: "Tests/AssentCoreTests"
        ),
    ]
)
