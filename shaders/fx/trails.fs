/*{
    "ISFVSN": "2",
    "DESCRIPTION": "Feedback trails: each frame is laid over the fading, slowly zooming memory of the ones before.",
    "CREDIT": "performer",
    "CATEGORIES": ["Feedback", "performer"],
    "INPUTS": [
        {"NAME": "inputImage", "TYPE": "image"},
        {"NAME": "feedback", "LABEL": "Feedback", "TYPE": "float", "DEFAULT": 0.85, "MIN": 0.0, "MAX": 0.99},
        {"NAME": "zoom", "LABEL": "Zoom", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.9, "MAX": 1.1},
        {"NAME": "drift", "LABEL": "Drift", "TYPE": "point2D", "DEFAULT": [0.0, 0.0], "MIN": [-0.02, -0.02], "MAX": [0.02, 0.02]},
        {"NAME": "mode", "LABEL": "Mode", "TYPE": "long", "DEFAULT": 0, "VALUES": [0, 1], "LABELS": ["blend", "lighten"]},
        {"NAME": "clear", "LABEL": "Clear", "TYPE": "event"}
    ],
    "PASSES": [
        {"TARGET": "memory", "PERSISTENT": true, "FLOAT": true}
    ]
}*/

void main() {
    vec2 uv = isf_FragNormCoord;
    vec4 now = IMG_THIS_PIXEL(inputImage);
    vec2 from = (uv - 0.5) / zoom + 0.5 - drift;
    vec4 memory = IMG_NORM_PIXEL(memory, from);
    if (clear || FRAMEINDEX == 0) {
        gl_FragColor = now;
        return;
    }
    vec3 faded = memory.rgb * feedback;
    vec3 color = (mode == 1) ? max(now.rgb, faded) : mix(now.rgb, memory.rgb, feedback);
    gl_FragColor = vec4(color, 1.0);
}
