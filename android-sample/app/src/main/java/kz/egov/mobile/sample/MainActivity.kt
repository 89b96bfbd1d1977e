package kz.egov.mobile.sample

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.viewModels
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.navigation.NavHostController
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.currentBackStackEntryAsState
import androidx.navigation.compose.rememberNavController
import com.google.mlkit.vision.codescanner.GmsBarcodeScanning
import uniffi.egov_mobile.ScannedCode
import uniffi.egov_mobile.parseScanned

class MainActivity : ComponentActivity() {
    private val model: AppModel by viewModels()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContent { MaterialTheme { App(model, ::scan) } }
    }

    /** Scans a QR code and routes it by what it is for this deployment; anything else is refused. */
    private fun scan(nav: NavHostController) {
        GmsBarcodeScanning.getClient(this).startScan().addOnSuccessListener { barcode ->
            val text = barcode.rawValue ?: return@addOnSuccessListener
            when (val code = parseScanned(text, model.client.baseUrl())) {
                is ScannedCode.WebLogin -> nav.navigate("web-login?url=${encode(text)}")
                is ScannedCode.SignRequest -> nav.navigate("sign/${code.id}")
                is ScannedCode.Share -> nav.navigate("verify?url=${encode(text)}")
                ScannedCode.NotOurs -> model.error = "This QR code is not from eGov. Do not enter your data on the site it leads to."
            }
        }
    }

    private fun encode(s: String) = java.net.URLEncoder.encode(s, "UTF-8")
}

@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun App(model: AppModel, scan: (NavHostController) -> Unit) {
    val nav = rememberNavController()
    if (!model.signedIn) {
        LoginScreen(model)
        ErrorDialog(model)
        return
    }
    val route = nav.currentBackStackEntryAsState().value?.destination?.route
    Scaffold(
        topBar = { TopAppBar(title = { Text("eGov Mobile") }, actions = { TextButton({ scan(nav) }) { Text("Scan") } }) },
        bottomBar = {
            NavigationBar {
                listOf("documents" to "Documents", "fines" to "Fines", "history" to "History").forEach { (r, label) ->
                    NavigationBarItem(selected = route == r, onClick = { nav.navigate(r) }, icon = {}, label = { Text(label) })
                }
            }
        },
    ) { padding ->
        Column(Modifier.padding(padding)) {
            if (model.busy) LinearProgressIndicator()
            NavHost(nav, startDestination = "documents") {
                composable("documents") { DocumentsScreen(model) { id -> nav.navigate("document/$id") } }
                composable("document/{id}") { DocumentScreen(model, it.arguments!!.getString("id")!!) { share -> nav.navigate("share/${share}") } }
                composable("share/{id}") { ShareScreen(model, it.arguments!!.getString("id")!!) }
                composable("web-login?url={url}") { WebLoginScreen(model, it.arguments!!.getString("url")!!) { nav.popBackStack() } }
                composable("sign/{id}") { SignScreen(model, it.arguments!!.getString("id")!!) { nav.popBackStack() } }
                composable("verify?url={url}") { VerifyScreen(model, it.arguments!!.getString("url")!!) }
                composable("fines") { FinesScreen(model) }
                composable("history") { HistoryScreen(model) }
            }
        }
    }
    ErrorDialog(model)
}

@Composable
fun ErrorDialog(model: AppModel) {
    val message = model.error ?: return
    AlertDialog(
        onDismissRequest = { model.error = null },
        confirmButton = { TextButton({ model.error = null }) { Text("OK") } },
        text = { Text(message) },
    )
}
