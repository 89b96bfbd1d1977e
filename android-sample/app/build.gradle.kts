// The sample app on the generated uniffi bindings. The Rust library is built for the Android ABIs with
// cargo-ndk and the Kotlin bindings are generated from it (library mode) before every build, so the app
// always matches the library it ships.
import org.gradle.api.tasks.Exec

plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
    id("org.jetbrains.kotlin.plugin.compose")
}

val repoRoot = rootProject.projectDir.parentFile
val jniLibsDir = layout.buildDirectory.dir("rust/jniLibs")
val bindingsDir = layout.buildDirectory.dir("generated/uniffi")

android {
    namespace = "kz.egov.mobile.sample"
    compileSdk = 35
    defaultConfig {
        applicationId = "kz.egov.mobile.sample"
        minSdk = 28 // StrongBox and the Keystore's EC keys behave the same from Android 9
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        buildConfigField("String", "EGOV_BASE_URL", "\"${property("egov.baseUrl")}\"")
    }
    buildFeatures {
        compose = true
        buildConfig = true
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
    sourceSets["main"].jniLibs.srcDir(jniLibsDir)
    sourceSets["main"].java.srcDir(bindingsDir)
}

// cargo install cargo-ndk; rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
val cargoNdk by tasks.registering(Exec::class) {
    workingDir = repoRoot
    commandLine(
        "cargo", "ndk", "-t", "arm64-v8a", "-t", "armeabi-v7a", "-t", "x86_64",
        "-o", jniLibsDir.get().asFile.path, "build", "--release", "-p", "egov-mobile",
    )
}

val uniffiBindings by tasks.registering(Exec::class) {
    dependsOn(cargoNdk)
    workingDir = repoRoot
    commandLine(
        "cargo", "run", "-p", "egov-mobile", "--features", "bindgen", "--bin", "uniffi-bindgen", "--",
        "generate", "--library", jniLibsDir.get().file("arm64-v8a/libegov_mobile.so").asFile.path,
        "--language", "kotlin", "--out-dir", bindingsDir.get().asFile.path,
    )
}

tasks.named("preBuild") { dependsOn(uniffiBindings) }

dependencies {
    implementation("net.java.dev.jna:jna:5.15.0@aar")
    implementation(platform("androidx.compose:compose-bom:2024.12.01"))
    implementation("androidx.compose.material3:material3")
    implementation("androidx.compose.ui:ui")
    implementation("androidx.activity:activity-compose:1.9.3")
    implementation("androidx.lifecycle:lifecycle-viewmodel-compose:2.8.7")
    implementation("androidx.navigation:navigation-compose:2.8.5")
    implementation("androidx.security:security-crypto:1.1.0-alpha06")
    // Google's code scanner: scans without the camera permission and hands back the text.
    implementation("com.google.android.gms:play-services-code-scanner:16.1.0")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.9.0")
}
