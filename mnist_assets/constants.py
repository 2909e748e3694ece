"""Names with one meaning across the project; import them, never retype them."""

MLFLOW_EXPERIMENT = "mnist"
REGISTERED_MODEL_NAME = "mnist-cnn"
TRAINING_POOL = "training"  # Dagster concurrency pool: one training step at a time
TRAINING_RUN_TAG = "mnist/training"  # run tag limited to one run at a time in dagster.yaml
CHAMPION_ALIAS = "champion"  # the version that passed the gate last: the next deploy serves it
PREVIOUS_ALIAS = "previous"  # the champion it replaced
SERVING_ALIAS = "serving"  # the version behind the gateway now, moved only once it routes there
BENTO_MODEL_NAME = "mnist-cnn"  # the model in BentoML's model store
BENTO_SERVICE_NAME = "mnist_service"
SERVICE_POST_ROUTES = ("/predict", "/predict/batch", "/predict/image", "/feedback")  # rest: GET
BATCHES_TAG = "mnist/batches"  # new-data runs: the content hashes of the batches they train on
DIGEST_SHOWN = 16  # hex digits of a batch's content hash in that tag

# The service's own Prometheus metrics, read back by the drift sensor.
METRIC_PREDICTIONS = "mnist_predictions_total"  # counter, label "digit"
METRIC_CONFIDENCE = "mnist_prediction_confidence"  # histogram of the top probability
METRIC_MEAN_INTENSITY = "mnist_input_mean_intensity"  # histogram of each input's mean pixel
METRIC_LIVE_ACCURACY = "mnist_live_accuracy"  # gauge: share right of the last labelled predictions
METRIC_LIVE_LABELS = "mnist_live_accuracy_labels"  # gauge: how many labels live accuracy is over
METRIC_TEST_ACCURACY = "mnist_model_test_accuracy"  # gauge: the serving model's test accuracy
METRIC_MODEL_INFO = "mnist_model_info"  # gauge set by every worker at start: the series live
