/*{
    "ISFVSN": "2",
    "DESCRIPTION": "Film grain: luminance-weighted noise, new every frame, in grains of a chosen size.",
    "CREDIT": "performer",
    "CATEGORIES": ["Film", "performer"],
    "INPUTS": [
        {"NAME": "inputImage", "TYPE": "image"},
        {"NAME": "amount", "LABEL": "Amount", "TYPE": "float", "DEFAULT": 0.12, "MIN": 0.0, "MAX": 0.5},
        {"NAME": "size", "LABEL": "Grain size", "TYPE": "float", "DEFAULT": 1.5, "MIN": 1.0, "MAX": 6.0},
        {"NAME": "colored", "LABEL": "Coloured", "TYPE": "bool", "DEFAULT": false}
    ]
}*/

float hash(vec3 p) {
    p = fract(p * vec3(0.1031, 0.1030, 0.0973));
    p += dot(p, p.yzx + 33.33);
    return fract((p.x + p.y) * p.z);
}

void main() {
    vec4 color = IMG_THIS_PIXEL(inputImage);
    vec2 cell = floor(gl_FragCoord.xy / size);
    float seed = float(FRAMEINDEX % 1024);
    vec3 noise = colored
        ? vec3(hash(vec3(cell, seed)), hash(vec3(cell, seed + 17.0)), hash(vec3(cell, seed + 41.0)))
        : vec3(hash(vec3(cell, seed)));
    float luma = dot(color.rgb, vec3(0.299, 0.587, 0.114));
    float weight = amount * (1.0 - 0.6 * abs(luma - 0.5) * 2.0);  // grain shows most in mid-tones
    gl_FragColor = vec4(clamp(color.rgb + (noise - 0.5) * weight, 0.0, 1.0), color.a);
}
